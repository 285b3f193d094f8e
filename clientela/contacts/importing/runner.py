"""The resumable contact import: a Job processed in batches, each batch in one transaction.

Per batch: clean the rows (pure), drop repeats of a row seen earlier in the file, resolve
companies, owners and tags from per-run caches, match the rest against the database by
e-mail, then phone, then name + company, insert new contacts with the database's bulk path,
update changed ones (when asked) with one timeline event each, store every rejected row
with its line, column and reason, and advance the job's checkpoint — all in the same
transaction, so a killed import resumes after the last committed batch without duplicates.

Scope: duplicates are looked for among ALL contacts (not only those the importing user may
see), because creating a second copy of someone else's customer is worse than telling the
user it exists; but a contact outside the user's scope is never changed: its row is
rejected with "exists, owned by someone outside your scope".
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clientela.accounts.choices import Visibility
from clientela.accounts.models import User
from clientela.accounts.queries import assignable_owners, has_capability, visibility_of
from clientela.contacts.choices import Entity
from clientela.contacts.importing.bulk import BulkTable, adapt_now, allocate_ids
from clientela.contacts.importing.parallel import Row, clean_batches, clean_read_row, worker_count
from clientela.contacts.importing.rows import CleanRow, CustomSpec, RowPlan
from clientela.contacts.models import Company, Contact, Note, Tag
from clientela.contacts.normalize import fold, search_key
from clientela.contacts.queries import contacts_visible_to, custom_fields_for
from clientela.core.exceptions import Conflict, Forbidden
from clientela.core.models import Job, JobRowError, JobState
from clientela.core.tabular import TableError, open_table
from clientela.timeline.choices import Verb, Via
from clientela.timeline.services import build_event, record_event, record_events

KIND = "import_contacts"
STALE_AFTER = timedelta(minutes=2)
MAX_WARNING_VALUES = 50
# Fields compared and copied when an existing contact is updated from a row.
UPDATABLE = (
    "first_name", "last_name", "email", "phone", "job_title", "city", "country", "birthday",
    "language", "lifecycle_stage", "lead_status", "source", "external_id", "first_touch_at",
    "last_touch_at", *(f"{t}_utm_{p}" for t in ("first", "last")
                       for p in ("source", "medium", "campaign", "term", "content")),
)  # fmt: skip


@dataclass
class ImportResult:
    """What an import did; `errors` lists every rejected row's line, column and reason."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    finished: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The CLI's JSON object."""
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": self.errors,
        }


class OwnerDirectory:
    """Finds assignable users by e-mail, username or full name (unique names only), folded."""

    def __init__(self, actor: Any) -> None:
        users = list(
            User.objects.filter(is_active=True).values_list(
                "id", "username", "email", "first_name", "last_name"
            )
        )
        names = Counter(_folded(f"{first} {last}") for _i, _u, _e, first, last in users)
        self.by_ref: dict[str, int] = {}
        for user_id, _username, _email, first, last in users:
            full = _folded(f"{first} {last}")
            if full and names[full] == 1:
                self.by_ref.setdefault(full, user_id)
        for user_id, username, email, _first, _last in users:
            if email:
                self.by_ref[email.strip().lower()] = user_id
            self.by_ref[username.lower()] = user_id
        self.assignable: set[int] | None = (
            None
            if visibility_of(actor) == Visibility.ALL
            else set(assignable_owners(actor).values_list("id", flat=True))
        )

    def resolve(self, ref: str) -> int | None:
        """The id of an assignable user named by `ref`, or None."""
        text = ref.strip()
        user_id = self.by_ref.get(text.lower()) or self.by_ref.get(_folded(text))
        if user_id is None or (self.assignable is not None and user_id not in self.assignable):
            return None
        return user_id


@lru_cache(maxsize=65536)
def _folded(text: str) -> str:
    return " ".join(fold(text).split())


@dataclass
class _Batch:
    """What one batch produced, applied to the job when its transaction commits."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[JobRowError] = field(default_factory=list)
    rejected_lines: set[int] = field(default_factory=set)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    new_companies: dict[str, int] = field(default_factory=dict)
    new_tags: dict[str, int] = field(default_factory=dict)
    new_tag_names: dict[int, str] = field(default_factory=dict)


class _DryRun(Exception):
    """Raised inside a dry run's savepoint to undo the batch's changes."""


class ImportRun:
    """One pass of the runner over a job's file (a resumed job gets a new pass)."""

    def __init__(self, job: Job, *, batch_size: int | None = None) -> None:
        self.job = job
        self.options = job.options
        actor = job.created_by
        if actor is None or not (
            has_capability(actor, "import") and has_capability(actor, "write")
        ):
            raise Forbidden(_("Your role cannot import records."))
        self.actor = actor
        self.dry_run = bool(self.options.get("dry_run"))
        self.update_existing = bool(self.options.get("update_existing"))
        self.via = self.options.get("via", Via.UI)
        self.batch_size = batch_size or int(str(settings.CLIENTELA.get("IMPORT_BATCH_SIZE", 2000)))
        definitions = custom_fields_for(Entity.CONTACT)
        self.plan = RowPlan.build(
            dict(self.options.get("mapping") or {}),
            {
                key: CustomSpec(key, d.label, d.field_type, tuple(str(c) for c in d.choices))
                for key, d in definitions.items()
            },
            region=str(settings.CLIENTELA["DEFAULT_PHONE_REGION"]),
            decimal_comma=self.options.get("decimal_comma") or {},
        )
        self.owners = OwnerDirectory(actor)
        self.sees_all = visibility_of(actor) == Visibility.ALL
        self.companies: dict[str, int] = {
            _folded(name): pk
            for pk, name in Company.objects.filter(deleted_at__isnull=True)
            .order_by("-id")
            .values_list("id", "name")
        }
        self.tag_names: dict[int, str] = dict(Tag.objects.values_list("id", "name"))
        self.tags: dict[str, int] = {name.lower(): pk for pk, name in self.tag_names.items()}
        # Every key of the file so far → its first line; one string per key keeps a million
        # rows in ~150 MB.
        self.seen: dict[str, int] = {}
        self.headers: list[str] = []
        self.contact_table = BulkTable(Contact)
        self.tag_links = BulkTable(Contact.tags.through, with_pk=False)

    # -- driving --------------------------------------------------------------------------

    def run(self, *, max_batches: int | None = None) -> ImportResult:
        """Process the file from the job's checkpoint; stop early after `max_batches`."""
        job = self.job
        path = default_storage.path(job.file)
        try:
            table = open_table(path, filename=self.options.get("filename"))
        except (TableError, OSError) as exc:
            message = exc.message if isinstance(exc, TableError) else _("The file is gone.")
            Job.objects.filter(pk=job.pk).update(
                state=JobState.FAILED, message=message, finished_at=timezone.now()
            )
            job.refresh_from_db()
            raise
        with table:
            if not job.total:
                job.total = table.estimated_rows()
                Job.objects.filter(pk=job.pk).update(total=job.total)
            self.headers = table.headers
            index = {h: i for i, h in enumerate(table.headers)}
            mapped = dict.fromkeys(column for column, _target in self.plan.columns)
            self.plan = replace(
                self.plan, positions=tuple((c, index[c]) for c in mapped if c in index)
            )
            if job.checkpoint:
                self._remember(table.rows(), until=job.checkpoint)
            records = table.rows(start_line=job.checkpoint + 1)
            workers = worker_count(max(job.total - job.processed, 0))
            if max_batches is not None:
                workers = 0  # a partial run (tests, kill simulations) needs no pool
            batches = clean_batches(
                self.plan,
                _chunks(records, self.batch_size),
                workers=workers,
                language=translation.get_language() or settings.LANGUAGE_CODE,
            )
            for done, (batch, cleaned) in enumerate(batches, start=1):
                self._process(batch, cleaned)
                if max_batches is not None and done >= max_batches:
                    return self.result(finished=False)
        self._finish()
        return self.result(finished=True)

    def result(self, *, finished: bool) -> ImportResult:
        """The job's totals with every error, read back from the database."""
        job = Job.objects.get(pk=self.job.pk)
        counts = job.counts
        return ImportResult(
            rows=counts.get("rows", 0),
            created=counts.get("created", 0),
            updated=counts.get("updated", 0),
            unchanged=counts.get("unchanged", 0),
            rejected=counts.get("errors", 0),
            errors=[
                {"line": line, "column": column, "reason": reason}
                for line, column, reason in job.row_errors.order_by("line", "id").values_list(
                    "line", "column", "reason"
                )
            ],
            finished=finished,
        )

    def _remember(self, records: Iterator[Row], *, until: int) -> None:
        """Rebuild the keys seen before the checkpoint (a resumed run must still skip repeats)."""
        for record in records:
            if record[0] > until:
                break
            row = clean_read_row(self.plan, record)
            if row.ok and row.key is not None:
                self.seen.setdefault("\x1f".join(row.key), row.line)

    def _finish(self) -> None:
        job = self.job
        with transaction.atomic():
            Job.objects.filter(pk=job.pk).update(
                state=JobState.DONE, finished_at=timezone.now(), heartbeat_at=timezone.now()
            )
            job.refresh_from_db()
            if not self.dry_run:
                record_event(
                    Verb.IMPORTED,
                    actor=self.actor,
                    target=job,
                    via=self.via,
                    data={k: v for k, v in job.counts.items() if k != "warnings"},
                )

    # -- one batch ------------------------------------------------------------------------

    def _process(self, records: list[Row], cleaned: list[CleanRow]) -> None:
        out = _Batch(rows=len(records))
        last_line = records[-1][0]
        by_line: dict[int, Row] = {}
        job = self.job
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # The batch and the checkpoint commit together, so a batch lost in a crash
                # (at most the last few, ~0.6 s of commits) is redone on resume: no need
                # to wait for the WAL flush on every batch.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit = off")
            # Writing first takes SQLite's write lock and proves no other pass moved on.
            moved = Job.objects.filter(pk=job.pk, checkpoint=job.checkpoint).update(
                heartbeat_at=timezone.now()
            )
            if not moved:
                raise Conflict(_("Another worker is already running this import."))
            try:
                with transaction.atomic():
                    self._apply(cleaned, out)
                    if self.dry_run:
                        raise _DryRun
            except _DryRun:
                out.new_companies.clear()
                out.new_tags.clear()
                out.new_tag_names.clear()
            for row in cleaned:
                if row.errors:
                    out.rejected_lines.add(row.line)
                    raw = self._raw(records, row.line, by_line)
                    for index, (column, reason) in enumerate(row.errors):
                        out.errors.append(
                            JobRowError(
                                job=job, line=row.line, column=column[:200], reason=reason,
                                raw=raw if index == 0 else {},
                            )
                        )  # fmt: skip
                out.warnings.extend(row.warnings)
            JobRowError.objects.bulk_create(out.errors, batch_size=1000)
            counts = self._merge_counts(job.counts, out)
            Job.objects.filter(pk=job.pk).update(
                checkpoint=last_line,
                processed=job.processed + out.rows,
                counts=counts,
                heartbeat_at=timezone.now(),
            )
        job.checkpoint = last_line
        job.processed += out.rows
        job.counts = counts
        self.companies.update(out.new_companies)
        self.tags.update(out.new_tags)
        self.tag_names.update(out.new_tag_names)

    def _raw(self, records: list[Row], line: int, by_line: dict[int, Row]) -> dict[str, str]:
        """A rejected row's original cells by header (kept for the rejects file)."""
        if not by_line:
            by_line.update((r[0], r) for r in records)
        found = by_line.get(line)
        return dict(zip(self.headers, found[1], strict=False)) if found else {}

    @staticmethod
    def _merge_counts(counts: dict[str, Any], out: _Batch) -> dict[str, Any]:
        merged = {
            "rows": counts.get("rows", 0) + out.rows,
            "created": counts.get("created", 0) + out.created,
            "updated": counts.get("updated", 0) + out.updated,
            "unchanged": counts.get("unchanged", 0) + out.unchanged,
            "errors": counts.get("errors", 0) + len(out.rejected_lines),
        }
        warnings: dict[str, dict[str, int]] = {
            kind: dict(values) for kind, values in (counts.get("warnings") or {}).items()
        }
        for kind, value in out.warnings:
            bucket = warnings.setdefault(kind, {})
            if value in bucket or len(bucket) < MAX_WARNING_VALUES:
                bucket[value] = bucket.get(value, 0) + 1
        if warnings:
            merged["warnings"] = warnings
        return merged

    def _apply(self, cleaned: list[CleanRow], out: _Batch) -> None:
        accepted = self._drop_repeats(cleaned)
        if not accepted:
            return
        company_ids = self._companies_for(accepted, out)
        matches = self._match(accepted, company_ids)
        visible = self._visible({m.pk for m in matches.values()})
        new_rows: list[CleanRow] = []
        updates: list[tuple[CleanRow, Contact]] = []
        for row in accepted:
            match = matches.get(row.line)
            if match is None:
                new_rows.append(row)
            elif match.pk not in visible:
                row.errors.append(
                    (
                        row.key_column,
                        _(
                            "A contact with this %(what)s already exists and is owned by "
                            "someone outside your scope; it was not changed."
                        )
                        % {"what": _key_name(row)},
                    )
                )
            elif self.update_existing:
                updates.append((row, match))
            else:
                out.unchanged += 1
        tag_ids = self._tags_for([*new_rows, *(r for r, _c in updates)], out)
        self._create(new_rows, company_ids, tag_ids, out)
        if updates:
            self._update(updates, company_ids, tag_ids, out)

    def _drop_repeats(self, cleaned: list[CleanRow]) -> list[CleanRow]:
        accepted: list[CleanRow] = []
        for row in cleaned:
            if not row.ok:
                continue
            if row.key is not None:
                seen_key = "\x1f".join(row.key)
                first = self.seen.get(seen_key)
                if first is not None:
                    row.errors.append(
                        (
                            row.key_column,
                            _(
                                "Same %(what)s as line %(line)d of this file; only the first "
                                "one is imported."
                            )
                            % {"what": _key_name(row), "line": first},
                        )
                    )
                    continue
                self.seen[seen_key] = row.line
            accepted.append(row)
        return accepted

    def _companies_for(self, rows: list[CleanRow], out: _Batch) -> dict[str, int]:
        wanted: dict[str, str] = {}
        for row in rows:
            if row.company:
                wanted.setdefault(_folded(row.company), row.company)
        missing = [(key, name) for key, name in wanted.items() if key not in self.companies]
        if missing:
            now = timezone.now()
            created = Company.objects.bulk_create(
                [
                    Company(
                        name=name, owner=self.actor, created_by=self.actor, created_via="import",
                        import_job=self.job, search_text=search_key(name), created_at=now,
                        updated_at=now,
                    )
                    for _key, name in missing
                ]
            )  # fmt: skip
            for (key, _name), company in zip(missing, created, strict=True):
                out.new_companies[key] = company.pk
        return {key: out.new_companies.get(key) or self.companies[key] for key in wanted}

    def _tags_for(self, rows: list[CleanRow], out: _Batch) -> dict[str, int]:
        names: dict[str, str] = {}
        for row in rows:
            for tag in row.tags:
                names.setdefault(tag.lower(), tag)
        missing = [name for key, name in names.items() if key not in self.tags]
        if missing:
            Tag.objects.bulk_create([Tag(name=n) for n in missing], ignore_conflicts=True)
            for pk, name in Tag.objects.filter(
                Q.create([("name__iexact", n) for n in missing], connector=Q.OR)
            ).values_list("id", "name"):
                out.new_tags[name.lower()] = pk
                out.new_tag_names[pk] = name
        return {key: out.new_tags.get(key) or self.tags[key] for key in names}

    def _match(self, rows: list[CleanRow], company_ids: dict[str, int]) -> dict[int, Contact]:
        """Existing (not deleted) contacts for the rows' keys, by line; lowest id wins."""
        by_kind: dict[str, list[CleanRow]] = {"e": [], "p": [], "n": []}
        for row in rows:
            if row.key is not None:
                by_kind[row.key[0]].append(row)
        base = (
            Contact.objects.filter(deleted_at__isnull=True)
            .select_related("company")
            .order_by("-id")
        )
        if self.update_existing and not self.dry_run:
            base = base.select_for_update(of=("self",))
        found: dict[int, Contact] = {}
        for kind, column in (("e", "email"), ("p", "phone")):
            if not by_kind[kind]:
                continue
            # Most rows of a big import are new: find the few matches by index first, then
            # load (and lock) only those contacts.
            ids = _live_ids_by(column, {row.key[1] for row in by_kind[kind] if row.key})
            if not ids:
                continue
            loaded = base.in_bulk(set(ids.values()))
            for row in by_kind[kind]:
                if row.key and row.key[1] in ids and ids[row.key[1]] in loaded:
                    found[row.line] = loaded[ids[row.key[1]]]
        if by_kind["n"]:
            firsts: set[str] = set()
            lasts: set[str] = set()
            for row in by_kind["n"]:
                firsts |= _case_variants(row.values.get("first_name", ""))
                lasts |= _case_variants(row.values.get("last_name", ""))
            index_n: dict[tuple[str, str, str], Contact] = {}
            for contact in base.filter(first_name__in=firsts, last_name__in=lasts):
                key = (
                    "n",
                    _folded(f"{contact.first_name} {contact.last_name}"),
                    _folded(contact.company.name if contact.company else ""),
                )
                index_n[key] = contact
            for row in by_kind["n"]:
                if row.key in index_n:
                    found[row.line] = index_n[row.key]
        return found

    def _visible(self, ids: set[int]) -> set[int]:
        if self.sees_all or not ids:
            return ids
        return set(contacts_visible_to(self.actor).filter(pk__in=ids).values_list("id", flat=True))

    def _owner_for(self, row: CleanRow) -> int | None:
        if not row.owner:
            return None
        owner_id = self.owners.resolve(row.owner)
        if owner_id is None:
            row.warnings.append(("unknown_owner", row.owner[:100]))
        return owner_id

    def _create(
        self,
        rows: list[CleanRow],
        company_ids: dict[str, int],
        tag_ids: dict[str, int],
        out: _Batch,
    ) -> None:
        if not rows:
            return
        ids = allocate_ids(Contact, len(rows))
        now = timezone.now()
        stamp = adapt_now(now)
        table = self.contact_table
        index = table.index
        base = table.row(
            {
                "created_by_id": self.actor.pk, "created_via": "import",
                "import_job_id": self.job.pk, "updated_at": stamp, "created_at": stamp,
                "version": 1, "owner_id": self.actor.pk, "custom": "{}",
            }
        )  # fmt: skip
        # Values the database takes as they are, except these few (dates, JSON).
        adapters = {
            name: adapter
            for name in ("birthday", "first_touch_at", "last_touch_at", "created_at", "custom")
            if (adapter := table.adapter(name)) is not None
        }
        to_json = adapters["custom"]
        to_moment = adapters.get("created_at")
        at_id, at_owner, at_company = index["id"], index["owner_id"], index["company_id"]
        at_custom, at_created, at_search = (
            index["custom"],
            index["created_at"],
            index["search_text"],
        )
        contact_rows: list[list[Any]] = []
        links: list[tuple[int, int]] = []
        notes: list[Note] = []
        for pk, row in zip(ids, rows, strict=True):
            out_row = base.copy()
            for name, value in row.values.items():
                adapt = adapters.get(name)
                out_row[index[name]] = value if adapt is None else adapt(value)
            out_row[at_id] = pk
            out_row[at_search] = row.search_text
            if row.custom:
                out_row[at_custom] = to_json(row.custom)
            if row.owner:
                out_row[at_owner] = self._owner_for(row) or self.actor.pk
            if row.company:
                out_row[at_company] = company_ids[_folded(row.company)]
            if row.created_at is not None:
                created = row.created_at
                out_row[at_created] = created if to_moment is None else to_moment(created)
            contact_rows.append(out_row)
            for tag in row.tags:
                links.append((pk, tag_ids[tag.lower()]))
            if row.note:
                notes.append(Note(contact_id=pk, author=self.actor, body=row.note, created_at=now))
        table.insert(contact_rows, adapted=True)
        if links:
            links_table = self.tag_links
            if links_table.attnames == ["contact_id", "tag_id"]:
                link_rows: list[Any] = links
            else:
                link_rows = [links_table.row({"contact_id": c, "tag_id": t}) for c, t in links]
            links_table.insert(link_rows)
        if notes:
            Note.objects.bulk_create(notes, batch_size=1000)
        out.created += len(rows)

    def _update(
        self,
        pairs: list[tuple[CleanRow, Contact]],
        company_ids: dict[str, int],
        tag_ids: dict[str, int],
        out: _Batch,
    ) -> None:
        ids = [contact.pk for _row, contact in pairs]
        through = Contact.tags.through
        current_tags: dict[int, set[int]] = {}
        for contact_id, tag_id in through.objects.filter(contact_id__in=ids).values_list(
            "contact_id", "tag_id"
        ):
            current_tags.setdefault(contact_id, set()).add(tag_id)
        tag_names = {**self.tag_names, **out.new_tag_names}
        existing_notes = set(
            Note.objects.filter(
                contact_id__in=[c.pk for r, c in pairs if r.note],
                body__in=[r.note for r, _c in pairs if r.note],
            ).values_list("contact_id", "body")
        )
        now = timezone.now()
        changed: list[Contact] = []
        events = []
        new_links: list[Any] = []
        notes: list[Note] = []
        fields: set[str] = set()
        for row, contact in pairs:
            changes: dict[str, list[Any]] = {}
            for name, value in row.values.items():
                old = getattr(contact, name)
                if name in UPDATABLE and old != value:
                    changes[name] = [old, value]
                    setattr(contact, name, value)
                    fields.add(name)
            if row.company:
                company_id = company_ids[_folded(row.company)]
                if contact.company_id != company_id:
                    old = contact.company.name if contact.company else ""
                    changes["company"] = [old, row.company]
                    contact.company_id = company_id
                    fields.add("company_id")
            owner_id = self._owner_for(row)
            if owner_id is not None and contact.owner_id != owner_id:
                changes["owner"] = [contact.owner_id, owner_id]
                contact.owner_id = owner_id
                fields.add("owner_id")
            if row.custom:
                merged = {**contact.custom, **row.custom}
                if merged != contact.custom:
                    changes["custom"] = [contact.custom, merged]
                    contact.custom = merged
                    fields.add("custom")
            have = current_tags.get(contact.pk, set())
            add = [tag_ids[t.lower()] for t in row.tags if tag_ids[t.lower()] not in have]
            if add:
                changes["tags"] = [
                    sorted(tag_names.get(t, "") for t in have),
                    sorted(tag_names.get(t, "") for t in have | set(add)),
                ]
                new_links.extend(through(contact_id=contact.pk, tag_id=t) for t in add)
            if row.note and (contact.pk, row.note) not in existing_notes:
                changes["note"] = ["", row.note[:200]]
                notes.append(
                    Note(contact_id=contact.pk, author=self.actor, body=row.note, created_at=now)
                )
            if not changes:
                out.unchanged += 1
                continue
            if {"first_name", "last_name", "email", "phone"} & changes.keys():
                contact.search_text = search_key(
                    contact.first_name, contact.last_name, contact.email, contact.phone
                )
            contact.updated_at = now
            contact.version += 1
            changed.append(contact)
            events.append(
                build_event(
                    Verb.IMPORTED, actor=self.actor, target=contact, via=Via.IMPORT,
                    contact_id=contact.pk, data={"changes": changes, "job": self.job.pk},
                )
            )  # fmt: skip
        if changed:
            Contact.objects.bulk_update(
                changed,
                sorted(fields | {"search_text", "updated_at", "version"}),
                batch_size=500,
            )
            record_events(events)
        if new_links:
            through.objects.bulk_create(new_links, ignore_conflicts=True, batch_size=1000)
        if notes:
            Note.objects.bulk_create(notes, batch_size=1000)
        out.updated += len(changed)


def _live_ids_by(column: str, values: set[str]) -> dict[str, int]:
    """Value → lowest id of a contact outside the trash with that value in `column`."""
    table = connection.ops.quote_name(Contact._meta.db_table)
    quoted = connection.ops.quote_name(column)
    best: dict[str, int] = {}
    items = sorted(values)
    with connection.cursor() as cursor:
        for start in range(0, len(items), 5000):
            chunk = items[start : start + 5000]
            params: list[Any]
            if connection.vendor == "postgresql":
                where, params = f"{quoted} = ANY(%s)", [chunk]
            else:
                where, params = f"{quoted} IN ({', '.join(['%s'] * len(chunk))})", [*chunk]
            cursor.execute(
                f"SELECT {quoted}, id FROM {table} WHERE {where} AND deleted_at IS NULL",  # noqa: S608
                params,
            )
            for value, pk in cursor.fetchall():
                if value not in best or pk < best[value]:
                    best[value] = pk
    return best


def _key_name(row: CleanRow) -> str:
    kind = row.key[0] if row.key else "n"
    return {"e": _("e-mail"), "p": _("phone"), "n": _("name and company")}[kind]


def _case_variants(text: str) -> set[str]:
    return {text, text.lower(), text.upper(), text.title(), text.capitalize()}


def _chunks(records: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(records)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def claim_job(job_id: int, *, force: bool = False) -> Job | None:
    """Mark a pending (or abandoned running) import as running by this worker; None if taken."""
    now = timezone.now()
    claimable = (
        Q(state=JobState.PENDING)
        | Q(state=JobState.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
        | Q(state=JobState.RUNNING, heartbeat_at__isnull=True)
    )
    if force:
        claimable |= Q(state__in=[JobState.RUNNING, JobState.FAILED])
    updated = Job.objects.filter(claimable, pk=job_id, kind=KIND).update(
        state=JobState.RUNNING, heartbeat_at=now, message=""
    )
    if not updated:
        return None
    job = Job.objects.select_related("created_by").get(pk=job_id)
    if job.started_at is None:
        job.started_at = now
        job.save(update_fields=["started_at"])
    return job


def run_import(
    job_id: int,
    *,
    force: bool = False,
    max_batches: int | None = None,
    batch_size: int | None = None,
) -> ImportResult | None:
    """Claim the job and process it to the end (or `max_batches`); None if another runs it."""
    job = claim_job(job_id, force=force)
    if job is None:
        return None
    language = job.options.get("language") or settings.LANGUAGE_CODE
    with translation.override(language):
        try:
            return ImportRun(job, batch_size=batch_size).run(max_batches=max_batches)
        except TableError:
            raise
        except Forbidden as exc:
            Job.objects.filter(pk=job.pk).update(
                state=JobState.FAILED, message=str(exc), finished_at=timezone.now()
            )
            raise
        except Exception as exc:
            # The failed batch rolled back; the checkpoint still marks the last good one.
            Job.objects.filter(pk=job.pk).update(
                state=JobState.FAILED,
                message=_("The import stopped: %(error)s. It can be resumed.") % {"error": exc},
            )
            raise
