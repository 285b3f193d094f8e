"""The deals import: good rows become deals through the service, bad rows are reported by line."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from clientela.core import imports
from clientela.core.exceptions import Forbidden
from clientela.core.importers import get_importer, run_now
from clientela.deals.choices import DealVerb
from clientela.deals.import_jobs import preview_table
from clientela.deals.models import Deal, StageHistory
from clientela.deals.tests.factories import build_world, deal_custom_fields
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db

HEADER = (
    "Título;Correo;Responsable;Embudo;Etapa;Monto;Moneda;Cierre esperado;Fuente;Financiación;"
    "Área (m²)"
)


def _file(world: Any, personas: Any, *, amount: str = "1.500.000,50") -> str:
    pipeline = world.pipeline.name
    email = world.contact.email
    rows = [
        HEADER,
        # 2: good, every column
        f"Lote 1;{email};{personas.rep.username};{pipeline};Agendado;{amount};COP;15/03/2027;"
        "Referido;Crédito;250,5",
        # 3: a stage the pipeline does not have
        f"Lote 2;{email};;{pipeline};Firmado;100;COP;;;;",
        # 4: an option the choice field does not offer
        f"Lote 3;{email};;{pipeline};;100;COP;;;Leasing;",
        # 5: no title
        f";{email};;{pipeline};;100;COP;;;;",
        # 6: an owner nobody is
        f"Lote 4;{email};nadie;{pipeline};;100;COP;;;;",
        # 7: good, only a title (first pipeline, its first open stage, the importer owns it)
        "Lote 5;;;;;;;;;;",
    ]
    return "\n".join(rows) + "\n"


def _run(actor: Any, content: str, **options: Any) -> dict[str, Any]:
    importer = get_importer("deals")
    job = importer.start(
        actor=actor,
        upload=io.BytesIO(content.encode()),
        filename="negocios.csv",
        language="en",
        **options,
    )
    return imports.job_summary(run_now(importer, job, actor=actor))


def test_it_keeps_every_good_row_and_reports_every_bad_one_by_line(personas: Any) -> None:
    world = build_world(personas)
    deal_custom_fields()
    summary = _run(personas.manager, _file(world, personas))
    assert (summary["rows"], summary["created"]) == (6, 2)
    assert [(e["line"], e["column"]) for e in summary["errors"]] == [
        (3, "Etapa"), (4, "Financiación"), (5, "Título"), (6, "Responsable"),
    ]  # fmt: skip
    reasons = {e["line"]: e["reason"] for e in summary["errors"]}
    assert "has no stage called “Firmado”" in reasons[3]
    assert reasons[4] == "“Leasing” is not one of the choices."
    assert reasons[6] == "No active user has this username or e-mail."
    deal = Deal.objects.select_related("stage").get(title="Lote 1")
    assert deal.stage.name == "Agendado" and deal.owner == personas.rep
    assert (deal.amount, deal.currency) == (Decimal("1500000.50"), "COP")
    assert deal.expected_close == dt.date(2027, 3, 15) and deal.source == "referral"
    assert deal.custom == {"financiacion": "Crédito", "area_m2": 250.5}
    assert deal.contact == world.contact and deal.company_id == world.contact.company_id
    # Opened through the service: its stage history and its event, on the contact's timeline too.
    assert StageHistory.objects.filter(deal=deal, left_at__isnull=True).count() == 1
    event = Event.objects.get(
        target_type="deals.deal", target_id=str(deal.pk), verb=DealVerb.CREATED
    )
    assert (event.via, event.contact_id, event.actor) == (
        "import",
        world.contact.pk,
        personas.manager,
    )
    bare = Deal.objects.get(title="Lote 5")
    assert bare.owner == personas.manager and bare.amount == 0 and bare.contact is None


def test_it_creates_nothing_twice_and_updates_on_request(personas: Any) -> None:
    world = build_world(personas)
    deal_custom_fields()
    _run(personas.manager, _file(world, personas))
    again = _run(personas.manager, _file(world, personas))
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    changed = _run(personas.manager, _file(world, personas, amount="2000000"), update_existing=True)
    assert (changed["created"], changed["updated"], changed["unchanged"]) == (0, 1, 1)
    assert Deal.objects.get(title="Lote 1").amount == Decimal("2000000")
    assert Deal.objects.filter(title="Lote 1").count() == 1


def test_a_dry_run_saves_nothing_but_lists_the_errors(personas: Any) -> None:
    world = build_world(personas)
    deal_custom_fields()
    before = Deal.objects.count()
    summary = _run(personas.manager, _file(world, personas), dry_run=True)
    assert summary["created"] == 2 and len(summary["errors"]) == 4
    assert Deal.objects.count() == before


def test_it_previews_the_first_rows_with_their_errors(personas: Any) -> None:
    world = build_world(personas)
    deal_custom_fields()
    importer = get_importer("deals")
    job = importer.start(
        actor=personas.manager,
        upload=io.BytesIO(_file(world, personas).encode()),
        filename="negocios.csv",
    )
    table = preview_table(job, personas.manager)
    first = table.rows[0]
    assert first.line == 2 and first.cells[0] == "Lote 1" and not first.errors
    assert first.cells[2] == f"{world.pipeline.name} · Agendado"
    assert table.rows[1].errors and table.rows[1].errors[0][0] == "Etapa"
    assert Deal.objects.filter(title="Lote 1").count() == 0


def test_only_roles_with_the_import_capability_may_import(personas: Any) -> None:
    world = build_world(personas)
    importer = get_importer("deals")
    for user in (personas.rep, personas.marketer, personas.colleague):
        with pytest.raises(Forbidden):
            importer.start(
                actor=user, upload=io.BytesIO(_file(world, personas).encode()), filename="x.csv"
            )
    assert importer.may_import(personas.admin) and importer.may_import(personas.manager)


def test_an_email_no_contact_has_is_refused(personas: Any) -> None:
    world = build_world(personas)
    content = f"Título;Correo\nLote 9;{world.other_contact.email}\nLote 10;nadie@example.co\n"
    summary = _run(personas.manager, content)
    assert summary["created"] == 1
    assert Deal.objects.get(title="Lote 9").contact == world.other_contact
    assert [(e["line"], e["column"]) for e in summary["errors"]] == [(3, "Correo")]
    assert "import the contacts first" in summary["errors"][0]["reason"]


def test_the_command_line_imports_deals(personas: Any, tmp_path: Path, capsys: Any) -> None:
    world = build_world(personas)
    deal_custom_fields()
    path = tmp_path / "negocios.csv"
    path.write_text(_file(world, personas), encoding="utf-8")
    call_command("import", "deals", str(path), "--as", personas.manager.username)
    summary = json.loads(capsys.readouterr().out)
    assert (summary["rows"], summary["created"]) == (6, 2)
    assert [e["line"] for e in summary["errors"]] == [3, 4, 5, 6]
    assert Deal.objects.filter(title__in=["Lote 1", "Lote 5"]).count() == 2
