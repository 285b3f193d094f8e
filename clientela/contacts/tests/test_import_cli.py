"""`clientela import contacts FILE`: JSON output, options, exit codes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from clientela.contacts.models import Contact
from clientela.contacts.tests.import_helpers import FILES, csv_bytes
from clientela.core.models import Job
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db


def call(*args: str) -> dict[str, Any]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *args, stdout=out, stderr=err)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1  # exactly one JSON object
    report: dict[str, Any] = json.loads(lines[0])
    return report


def test_it_prints_one_json_object_and_keeps_good_rows(personas, tmp_path):
    path = tmp_path / "contactos.csv"
    path.write_bytes(
        csv_bytes(
            "nombre;correo", "Ana;ana@example.co", "Beto;no-es-correo", "Caro;caro@example.co"
        )
    )
    result = call("contacts", str(path))
    assert result == {
        "rows": 3,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "errors": [
            {"line": 3, "column": "correo", "reason": result["errors"][0]["reason"]},
        ],
    }
    assert "no-es-correo" in result["errors"][0]["reason"]
    # Ran as the first administrator; the job is kept for the audit log.
    assert Contact.objects.get(email="ana@example.co").owner == personas.admin
    job = Job.objects.get(kind="import_contacts")
    assert job.options["via"] == "cli"
    assert Event.objects.filter(target_type="core.job", target_id=str(job.pk), via="cli").exists()


def test_it_honours_preset_dry_run_update_existing_and_as(personas, tmp_path):
    path = tmp_path / "hubspot.csv"
    path.write_bytes((FILES / "hubspot_contacts.csv").read_bytes())
    dry = call("contacts", str(path), "--dry-run", "--as", "gerente")
    assert dry["created"] == 3 and Contact.objects.count() == 0
    first = call("contacts", str(path), "--preset", "hubspot", "--as", "gerente")
    assert first["created"] == 3
    assert Contact.objects.get(email="tom.lee@example.com").owner == personas.manager
    path.write_bytes(path.read_bytes().replace(b",Miami,", b",Orlando,"))
    again = call("contacts", str(path), "--update-existing", "--as", "gerente")
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 1, 2)
    assert Contact.objects.get(email="tom.lee@example.com").city == "Orlando"


def test_it_warns_on_stderr_about_unknown_owners(personas, tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes(csv_bytes("nombre;responsable", "Ana;Nadie"))
    err = io.StringIO()
    call_command("import", "contacts", str(path), stdout=io.StringIO(), stderr=err)
    assert "Nadie" in err.getvalue()


def test_it_fails_clearly_for_an_unreadable_file_or_an_unknown_user(personas, tmp_path):
    with pytest.raises(CommandError, match=r"no-existe\.csv"):
        call_command("import", "contacts", str(tmp_path / "no-existe.csv"))
    pdf = tmp_path / "informe.csv"
    pdf.write_bytes(b"%PDF-1.4 not a table")
    with pytest.raises(CommandError, match="PDF"):
        call_command("import", "contacts", str(pdf))
    good = tmp_path / "ok.csv"
    good.write_bytes(csv_bytes("nombre", "Ana"))
    with pytest.raises(CommandError, match="fantasma"):
        call_command("import", "contacts", str(good), "--as", "fantasma")
    with pytest.raises(CommandError):
        call_command("import", "contacts", str(good), "--as", "rep")  # reps may not import
    assert Contact.objects.count() == 0


def test_it_exits_1_with_a_message_from_the_console_script(tmp_path: Path):
    missing = tmp_path / "missing.csv"
    completed = subprocess.run(
        [sys.executable, "-m", "clientela", "import", "contacts", str(missing), "--as", "x"],
        capture_output=True,
        text=True,
        check=False,
        env={
            **os.environ,
            "CLIENTELA_DATA_DIR": str(tmp_path),
            "CLIENTELA_TESTING": "0",
            "CLIENTELA_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        },
    )
    assert completed.returncode == 1
    assert completed.stdout == ""
    assert "missing.csv" in completed.stderr
