"""Clean batches of rows in worker processes while the runner writes earlier batches.

Validating an e-mail (email-validator) and a phone (phonenumbers) costs tens of
microseconds each, several times what the database needs to store the row; on a machine
with more than one core the cleaning runs in a pool of processes, ahead of the database
work, and results come back in file order. Cleaning is pure (no database), so the workers
only need Django's settings and translations. Small files are cleaned in-process.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_all_start_methods, get_context
from typing import Any

from django.conf import settings

from clientela.contacts.importing.rows import CleanRow, RowPlan, clean_list

# (line, values in header order, problems) as Table.rows() yields them.
Row = tuple[int, list[str], tuple[str, ...]]

# Below this many rows a pool's start-up costs more than it saves.
MIN_ROWS_FOR_WORKERS = 20000

Batch = list[Row]


def clean_read_row(plan: RowPlan, read: Row) -> CleanRow:
    """Clean one row; a row the reader found malformed is rejected as it is."""
    line, values, problems = read
    if problems:
        row = CleanRow(line=line)
        row.errors.extend(("", problem) for problem in problems)
        return row
    return clean_list(plan, line, values)


def _clean_many(plan: RowPlan, rows: list[Row]) -> list[tuple[Any, ...]]:
    return [clean_read_row(plan, r).to_wire() for r in rows]


# Cleaning and unpickling a batch allocate thousands of small dicts and lists; with the
# default threshold (700) the cycle collector runs every few rows and walks Django's whole
# object graph each time, which costs more than the cleaning itself.
GC_THRESHOLD = (50_000, 50, 100)


@contextmanager
def relaxed_gc() -> Iterator[None]:
    """Collect cycles rarely and skip the objects that existed before (restored afterwards)."""
    previous = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()


def _start_worker(language: str) -> None:
    from django.utils import translation

    translation.activate(language)
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)
    # A runner killed with SIGKILL cannot stop its pool, and forked workers would wait for
    # work forever: each worker leaves as soon as its parent is gone.
    parent = os.getppid()

    def watch_parent() -> None:
        while True:
            time.sleep(1)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch_parent, name="parent-watch", daemon=True).start()


def worker_count(estimated_rows: int) -> int:
    """How many cleaning processes to use (CLIENTELA["IMPORT_WORKERS"], default: one per core)."""
    configured = settings.CLIENTELA.get("IMPORT_WORKERS")
    workers = int(str(configured)) if configured is not None else (os.cpu_count() or 1)
    if estimated_rows < MIN_ROWS_FOR_WORKERS or "fork" not in get_all_start_methods():
        return 0
    return workers if workers > 1 else 0


def clean_batches(
    plan: RowPlan, batches: Iterable[Batch], *, workers: int, language: str
) -> Iterator[tuple[Batch, list[CleanRow]]]:
    """Yield each batch with its cleaned rows, in order; `workers` = 0 cleans in-process."""
    if workers <= 0:
        for batch in batches:
            yield batch, [clean_read_row(plan, r) for r in batch]
        return
    rebuild = CleanRow.from_wire
    # fork: the workers start with Django ready and never re-run the program's __main__
    # (spawn would re-execute `python -m clientela …`). They inherit the runner's database
    # connections but never touch them, and leave through os._exit, which closes nothing.
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=get_context("fork"),
        initializer=_start_worker,
        initargs=(language,),
    ) as pool:
        pending: deque[tuple[Batch, Future[list[tuple[Any, ...]]]]] = deque()
        ahead = workers * 2
        for batch in batches:
            pending.append((batch, pool.submit(_clean_many, plan, batch)))
            if len(pending) > ahead:
                done, future = pending.popleft()
                yield done, [rebuild(w) for w in future.result()]
        while pending:
            done, future = pending.popleft()
            yield done, [rebuild(w) for w in future.result()]
