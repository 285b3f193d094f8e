"""Check the Spanish and English catalogues are complete and compiled.

With --extract (needs GNU gettext's xgettext, as `makemessages` does) it first re-extracts the
strings and fails when the committed catalogues miss any. Without it, it checks what is
committed: no untranslated or fuzzy Spanish entries and .mo files matching their .po files.
"""

from __future__ import annotations

import gettext
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "clientela" / "locale"
LANGS = ("es", "en")
MAKEMESSAGES = [
    "-m", "clientela", "makemessages", "--no-location", "--no-obsolete",
    "--ignore", ".venv/*", "--ignore", "bench/*", "--ignore", "var/*",
]  # fmt: skip


def entries(po_path: Path) -> dict[tuple[str, str | None], object]:
    """Parse a .po file into {(msgid, context): message}."""
    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    return {
        (str(m.id[0] if isinstance(m.id, tuple | list) else m.id), m.context): m
        for m in catalog
        if m.id
    }


def problems_in(lang: str) -> list[str]:
    """List untranslated/fuzzy entries and a stale .mo for one language."""
    found: list[str] = []
    for domain in ("django", "djangojs"):
        po_path = LOCALE / lang / "LC_MESSAGES" / f"{domain}.po"
        if not po_path.exists():
            if domain == "django":
                found.append(f"{po_path} is missing")
            continue
        messages = entries(po_path)
        for (msgid, _ctx), message in messages.items():
            if "fuzzy" in message.flags:  # type: ignore[attr-defined]
                found.append(f"{lang}: fuzzy: {msgid!r}")
            strings = message.string  # type: ignore[attr-defined]
            values = strings if isinstance(strings, tuple) else (strings,)
            if lang != "en" and not all(values):
                found.append(f"{lang}: untranslated: {msgid!r}")
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists():
            found.append(f"{mo_path} is missing: run `clientela compilemessages`")
            continue
        with mo_path.open("rb") as handle:
            compiled = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
        for (msgid, ctx), message in messages.items():
            key_id = f"{ctx}\x04{msgid}" if ctx else msgid
            strings = message.string  # type: ignore[attr-defined]
            plural = isinstance(strings, tuple)
            expected = strings[0] if plural else strings
            if expected and compiled.get((key_id, 0) if plural else key_id) != expected:
                found.append(
                    f"{mo_path.name} ({lang}) is stale for {msgid!r}: run `clientela compilemessages`"
                )
                break
    return found


def extraction_problems() -> list[str]:
    """Re-extract messages into a copy of the tree and report msgids the catalogues lack."""
    found: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "locale"
        shutil.copytree(LOCALE, copy)
        for domain_args in ([], ["-d", "djangojs"]):
            subprocess.run(
                [sys.executable, *MAKEMESSAGES, *domain_args, *[f"-l{lang}" for lang in LANGS]],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
        for lang in LANGS:
            for domain in ("django", "djangojs"):
                fresh = LOCALE / lang / "LC_MESSAGES" / f"{domain}.po"
                kept = copy / lang / "LC_MESSAGES" / f"{domain}.po"
                if not fresh.exists():
                    continue
                missing = set(entries(fresh)) - (set(entries(kept)) if kept.exists() else set())
                found += [
                    f"{lang}/{domain}: not in the committed catalogue: {m[0]!r}"
                    for m in sorted(missing, key=str)
                ]
        # Put the committed catalogues back: the check must not change the tree.
        shutil.rmtree(LOCALE)
        shutil.copytree(copy, LOCALE)
    return found


def main() -> None:
    """Print every problem and exit non-zero if there is any."""
    found: list[str] = []
    if "--extract" in sys.argv:
        found += extraction_problems()
    for lang in LANGS:
        found += problems_in(lang)
    for line in found[:200]:
        print(line)
    if found:
        print(
            f"{len(found)} translation problem(s). Run `clientela makemessages -l es -l en --no-location`, "
            "translate, then `clientela compilemessages`."
        )
        sys.exit(1)
    print("translations: complete")


if __name__ == "__main__":
    main()
