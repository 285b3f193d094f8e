"""Shared helpers for the tabular tests: files are built in code so every encoding is explicit."""

from __future__ import annotations

import os

import pytest
from django.conf import settings

if not settings.configured and not os.environ.get("DJANGO_SETTINGS_MODULE"):
    # Lets `pytest -p no:django clientela/core/tabular` run these pure tests without a project.
    settings.configure(USE_I18N=True, LANGUAGE_CODE="en")


@pytest.fixture(autouse=True)
def _english_messages():
    """These tests assert the English msgids; the project's default language is Spanish."""
    from django.utils import translation

    with translation.override("en"):
        yield


HEADER = ["Nombre", "Apellido", "Ciudad", "Correo"]
ROWS = [
    ["José", "Núñez", "Bogotá", "jose@example.com"],
    ["María", "Pérez", "Medellín", "maria@example.com"],
    ["Ángela", "Muñoz", "Cúcuta", "angela@example.com"],
]


def csv_text(rows: list[list[str]], delimiter: str = ";", newline: str = "\r\n") -> str:
    """Join rows into CSV text, quoting only when needed (like Excel)."""
    out = []
    for row in rows:
        cells = []
        for cell in row:
            if any(c in cell for c in (delimiter, '"', "\n", "\r")):
                cell = '"' + cell.replace('"', '""') + '"'
            cells.append(cell)
        out.append(delimiter.join(cells))
    return newline.join(out) + newline


@pytest.fixture
def tmp_file(tmp_path):
    """Write bytes to a file in a temporary folder and return its path."""

    def write(data: bytes, name: str = "contactos.csv") -> str:
        path = tmp_path / name
        path.write_bytes(data)
        return str(path)

    return write
