"""Every registered import kind runs through core's one pipeline the same way.

A kind registered without a sample file here fails, so each new import is held to the same
contract: draft from an upload, the shared job runner, counts and rejects, no duplicates.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.urls import reverse

from clientela.contacts import services as contact_services
from clientela.core import imports
from clientela.core.importers import get_importer, importers, run_now
from clientela.core.models import Job

pytestmark = pytest.mark.django_db

TODAY = dt.date.today().strftime("%d/%m/%Y")
# kind → (a file with two good rows and one bad row, the options of its start).
SAMPLES: dict[str, tuple[str, dict[str, object]]] = {
    "contacts": (
        "Nombre;Correo\nAna;ana@example.co\nBeto;beto@\nCaro;caro@example.co\n",
        {},
    ),
    "companies": ("Empresa;NIT\nAndina;900\n;800\nSur;700\n", {}),
    "orders": (
        f"Fecha;Total;Correo\n{TODAY};1000;ana.cliente@example.co\n{TODAY};x;"
        f"ana.cliente@example.co\n{TODAY};2000;ana.cliente@example.co\n",
        {"source_system": "pos"},
    ),
    "deals": (
        "Título;Correo;Monto\nLote 1;ana.cliente@example.co;1000\nLote 2;ana.cliente@example.co;x\n"
        "Lote 3;ana.cliente@example.co;2000\n",
        {},
    ),
}


def test_every_registered_kind_has_a_sample():
    assert {importer.name for importer in importers()} == set(SAMPLES)


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_each_kind_imports_through_the_shared_pipeline_without_duplicates(personas, kind):
    contact_services.create_contact(
        actor=personas.admin, data={"first_name": "Ana", "email": "ana.cliente@example.co"}
    )
    importer = get_importer(kind)
    content, options = SAMPLES[kind]

    def once() -> dict[str, Any]:
        job = importer.start(
            actor=personas.admin,
            upload=io.BytesIO(content.encode()),
            filename=f"{kind}.csv",
            language="en",
            via="cli",
            **options,
        )
        assert job.kind == importer.job_kind and job.options["stage"] == "draft"
        return imports.job_summary(run_now(importer, job, actor=personas.admin))

    first = once()
    assert (first["rows"], first["created"]) == (3, 2)
    assert [error["line"] for error in first["errors"]] == [3]
    again = once()
    assert (again["created"], again["unchanged"]) == (0, 2)
    assert Job.objects.filter(kind=importer.job_kind).count() == 2
    # Its screens are core's, in its app's namespace.
    assert reverse(importer.screens.start_url).endswith("import/")


def test_the_command_line_imports_the_kinds_of_the_one_registry() -> None:
    """`clientela import <kind>` offers exactly the registered kinds that run from a file."""
    from importlib import import_module

    command = import_module("clientela.core.management.commands.import").Command()
    parser = command.create_parser("clientela", "import")
    entity = next(action for action in parser._actions if action.dest == "entity")
    runnable = {kind.name for kind in importers() if kind.run_file is not None}
    assert set(entity.choices) == runnable
    assert {"contacts", "orders", "deals"} <= runnable
