"""Access matrix of every route of the catalogue.

Everyone signed in sees the catalogue (list, product, photos); creating, changing, archiving
products, their photos and the attribute definitions needs catalog.manage_products, and the
export catalog.export (administrators and managers by default).
"""

from __future__ import annotations

from typing import Any

import pytest

from clientela.catalog.tests.factories import World, build_world, image_bytes
from clientela.testing.access import Request, check_rows, everyone, route_mismatches, row

pytestmark = pytest.mark.django_db

#                                        admin manager rep  rep2 colleague marketer outsider
ROUTE_MATRIX: dict[str, dict[str, int]] = {
    "catalog:product_list":            everyone(200),
    "catalog:product_export":          row(200,  200,    403, 403, 403,      403,     403),
    "catalog:product_create":          row(200,  200,    403, 403, 403,      403,     403),
    "catalog:product_detail":          everyone(200),
    "catalog:product_edit":            row(200,  200,    403, 403, 403,      403,     403),
    "catalog:product_archive":         row(302,  302,    403, 403, 403,      403,     403),
    "catalog:photo_add":               row(302,  302,    403, 403, 403,      403,     403),
    "catalog:photo":                   everyone(200),
    "catalog:photo_thumbnail":         everyone(200),
    "catalog:photo_remove":            row(302,  302,    403, 403, 403,      403,     403),
    "catalog:attribute_list":          row(200,  200,    403, 403, 403,      403,     403),
    "catalog:attribute_edit":          row(200,  200,    403, 403, 403,      403,     403),
}  # fmt: skip


def default_kwargs(world: World) -> dict[str, Any]:
    """The land plot, its photo, the attribute and the export's format."""
    return {"pk": world.product.pk, "photo_pk": world.photo.pk, "fmt": "csv"}


def _photo_upload(world: World) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {"photo": SimpleUploadedFile("lote.jpg", image_bytes(), "image/jpeg"), "caption": "x"}


REQUESTS: dict[str, Request] = {
    "catalog:product_archive": Request("POST"),
    "catalog:photo_add": Request("POST", data=_photo_upload),
    "catalog:photo_remove": Request("POST"),
    "catalog:attribute_edit": Request(kwargs=lambda w: {"pk": w.attribute.pk}),
}


def test_it_gives_every_row_a_status_per_persona() -> None:
    check_rows(ROUTE_MATRIX)


@pytest.mark.parametrize("route", sorted(ROUTE_MATRIX))
def test_it_answers_each_persona_as_the_matrix_says(route: str, personas: Any) -> None:
    spec = REQUESTS.get(route, Request())
    wrong = route_mismatches(route, ROUTE_MATRIX, spec, personas, build_world, default_kwargs)
    assert not wrong, f"{route} answered {wrong}, expected {ROUTE_MATRIX[route]}"
