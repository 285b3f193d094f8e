"""tabular-read: rows per second through `open_table` on a 12-column contacts CSV.

Builds a deterministic CSV (UTF-8, `;`, Spanish names with accents, some quoted values with
delimiters and newlines, ~150 bytes a row), then times opening it (format, encoding and
delimiter detection, header) plus reading every record as a dict. Baseline, same bytes and
run: `csv.reader` over the file opened with the same codec — the parsing floor in Python.
`ratio` is value / baseline_value (1.0 would mean no overhead over csv.reader).
Two figures: `rows_per_s` (records as dicts) and `rows_per_s_lists` (`Table.rows()`,
values as lists in header order, the importer's faster path).
"""

from __future__ import annotations

import csv
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from clientela.core.tabular import open_table

HEADER = [
    "Nombre", "Apellidos", "Correo", "Teléfono", "Ciudad", "País", "Fecha de nacimiento",
    "Valor", "Etapa", "Etiquetas", "Fuente", "Notas",
]  # fmt: skip
NAMES = ["José", "María", "Ángela", "Andrés", "Sofía", "Raúl", "Lucía", "Iñaki", "Camila", "Julián"]
SURNAMES = ["Núñez", "Pérez", "Gómez", "Rodríguez", "Muñoz", "Jiménez", "Peña", "Martínez", "Díaz"]
CITIES = ["Bogotá", "Medellín", "Cali", "Barranquilla", "Cúcuta", "Ibagué", "Pereira", "Montería"]
STAGES = ["suscriptor", "lead", "MQL", "SQL", "oportunidad", "cliente", "promotor"]
NOTES = [
    "Interesado en apartamento de 2 habitaciones",
    "Llamar después de las 5 p. m.; prefiere WhatsApp",
    'Dice que "ya compró" con otra constructora',
    "Visitó la sala de ventas\nVolver a contactar en marzo",
    "",
]


def build_csv(path: Path, size: int, seed: int) -> None:
    """Write `size` deterministic contact rows after a header."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADER)
        for i in range(size):
            writer.writerow([
                rng.choice(NAMES), f"{rng.choice(SURNAMES)} {rng.choice(SURNAMES)}",
                f"contacto{i}@ejemplo.com.co", f"+57 3{rng.randrange(10**9):09d}",
                rng.choice(CITIES), "Colombia",
                f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1950, 2005)}",
                f"{rng.randint(0, 900)}.{rng.randint(0, 999):03d}.{rng.randint(0, 999):03d},00",
                rng.choice(STAGES), "inversionista, referido" if i % 3 else "vip",
                rng.choice(["web", "feria", "referido", "redes"]), rng.choice(NOTES),
            ])  # fmt: skip


def _time_table(path: Path, lists: bool) -> tuple[float, int]:
    start = time.perf_counter()
    table = open_table(path)
    rows = sum(1 for _record in (table.rows() if lists else table.records()))
    return time.perf_counter() - start, rows


def _time_csv_reader(path: Path, encoding: str) -> tuple[float, int]:
    start = time.perf_counter()
    with path.open(encoding=encoding, newline="") as source:
        reader = csv.reader(source, delimiter=";")
        next(reader)
        rows = sum(1 for _row in reader)
    return time.perf_counter() - start, rows


def run(size: int = 1_000_000, seed: int = 42) -> list[dict[str, Any]]:
    """Measure reading throughput as dicts and as lists; returns two figures."""
    repeats = 3 if size <= 200_000 else 1
    with tempfile.TemporaryDirectory(prefix="clientela-tabular-") as folder:
        path = Path(folder) / "contactos.csv"
        build_csv(path, size, seed)
        encoding = open_table(path).encoding or "utf-8"
        timings = {
            "rows_per_s": min(_time_table(path, lists=False) for _ in range(repeats)),
            "rows_per_s_lists": min(_time_table(path, lists=True) for _ in range(repeats)),
        }
        floor = min(_time_csv_reader(path, encoding) for _ in range(repeats))
        file_bytes = path.stat().st_size
    baseline = size / floor[0]
    figures = []
    for figure, (seconds, rows) in timings.items():
        if rows != size or floor[1] != size:
            raise RuntimeError(f"expected {size} rows, read {rows} (ours) and {floor[1]} (csv)")
        value = size / seconds
        figures.append(
            {
                "scenario": "tabular-read",
                "figure": figure,
                "value": round(value),
                "unit": "rows/s",
                "baseline": "csv.reader on the same bytes",
                "baseline_value": round(baseline),
                "ratio": round(value / baseline, 3),
                "size": size,
                "file_mb": round(file_bytes / 1e6, 1),
            }
        )
    return figures
