"""The database side of one import batch: companies, tags, owners, matching, inserts, updates.

`BatchWriter` holds the per-run caches (companies by folded name, tags, assignable owners, the
keys already seen in the file) and is the base of the runner's `ImportRun`; every method here
runs inside the batch's transaction.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.accounts.choices import Visibility
from clientela.accounts.models import User
from clientela.accounts.queries import assignable_owners, visibility_of
from clientela.contacts.importing.bulk import BulkTable, adapt_now, allocate_ids
from clientela.contacts.importing.rows import CleanRow
from clientela.contacts.models import Company, Contact, Note, Tag
from clientela.contacts.normalize import fold, search_key
from clientela.contacts.queries import contacts_visible_to
from clientela.core import imports
from clientela.core.bulk import update_objects
from clientela.core.locks import lock_names
from clientela.core.models import Job
from clientela.timeline.choices import Verb, Via
from clientela.timeline.services import build_event, record_events

# Fields compared and copied when an existing contact is updated from a row.
UPDATABLE = (
    "first_name", "last_name", "email", "phone", "job_title", "city", "country", "birthday",
    "language", "lifecycle_stage", "lead_status", "source", "external_id", "first_touch_at",
    "last_touch_at", *(f"{t}_utm_{p}" for t in ("first", "last")
                       for p in ("source", "medium", "campaign", "term", "content")),
)  # fmt: skip


class OwnerDirectory:
    """Finds assignable users by e-mail, username or full name (unique names only), folded."""

    def __init__(self, actor: User) -> None:
        users = list(
            User.objects.filter(is_active=True).values_list(
                "id", "username", "email", "first_name", "last_name"
            )
        )
        names = Counter(folded(f"{first} {last}") for _i, _u, _e, first, last in users)
        self.by_ref: dict[str, int] = {}
        for user_id, _username, _email, first, last in users:
            full = folded(f"{first} {last}")
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
        """Return the id of an assignable user named by `ref`, or None."""
        text = ref.strip()
        user_id = self.by_ref.get(text.lower()) or self.by_ref.get(folded(text))
        if user_id is None or (self.assignable is not None and user_id not in self.assignable):
            return None
        return user_id


@lru_cache(maxsize=65536)
def folded(text: str) -> str:
    """Case-, accent- and space-insensitive form of a company or person name."""
    return " ".join(fold(text).split())


@dataclass
class BatchOutcome(imports.BatchOutcome):
    """One batch's outcome plus the companies and tags it created (cached once committed)."""

    new_companies: dict[str, int] = field(default_factory=dict)
    new_tags: dict[str, int] = field(default_factory=dict)
    new_tag_names: dict[int, str] = field(default_factory=dict)


class BatchWriter:
    """Writes batches of clean rows; the runner sets the attributes below before any batch."""

    actor: User
    job: Job
    dry_run: bool
    update_existing: bool
    owners: OwnerDirectory
    sees_all: bool
    companies: dict[str, int]
    tags: dict[str, int]
    tag_names: dict[int, str]
    seen: dict[str, int]
    matched: dict[int, int]
    contact_table: BulkTable
    tag_links: BulkTable

    def _apply(self, cleaned: list[CleanRow], out: BatchOutcome) -> None:
        accepted = self._drop_repeats(cleaned)
        if not accepted:
            return
        company_ids = self._companies_for(accepted, out)
        matches = self._match(accepted, company_ids)
        if not self.dry_run and connection.vendor == "postgresql":
            # SQLite's batch holds the database's write lock from its first statement on.
            self._claim_new_emails(accepted, matches)
        visible = self._visible({m.pk for m in matches.values()})
        new_rows: list[CleanRow] = []
        updates: list[tuple[CleanRow, Contact]] = []
        for row in accepted:
            match = matches.get(row.line)
            if match is None:
                new_rows.append(row)
            elif match.pk in self.matched:
                # Two different identifiers of the file lead to one contact: only the first
                # row may change it, or a second run would flip it back and forth.
                row.errors.append(
                    (
                        row.key_column,
                        _(
                            "This row is the same contact as line %(line)d; only that one is imported."
                        )
                        % {"line": self.matched[match.pk]},
                    )
                )
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
                self.matched[match.pk] = row.line
                updates.append((row, match))
            else:
                self.matched[match.pk] = row.line
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
            keys = row.identifiers
            if keys:
                first = self.seen.get(keys[0])
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
                for key in keys:
                    self.seen.setdefault(key, row.line)
            accepted.append(row)
        return accepted

    def _companies_for(self, rows: list[CleanRow], out: BatchOutcome) -> dict[str, int]:
        wanted: dict[str, str] = {}
        for row in rows:
            if row.company:
                wanted.setdefault(folded(row.company), row.company)
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

    def _tags_for(self, rows: list[CleanRow], out: BatchOutcome) -> dict[str, int]:
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
                    folded(f"{contact.first_name} {contact.last_name}"),
                    folded(contact.company.name if contact.company else ""),
                )
                index_n[key] = contact
            for row in by_kind["n"]:
                if row.key in index_n:
                    found[row.line] = index_n[row.key]
        return found

    def _claim_new_emails(self, rows: list[CleanRow], matches: dict[int, Contact]) -> None:
        """Lock the e-mails this batch is about to create, then match contacts made meanwhile.

        The API, the screens and public forms create a contact under the same lock
        (contacts.services.refuse_email_in_use, core.locks): such a create either committed
        before the lock was granted, and its contact is found again here and matched instead
        of duplicated, or it waits for this batch to commit and then finds the imported one.
        The rows matched before were locked first (select_for_update), as update_contact
        locks its row before the e-mail, so the two paths take their locks in one order.
        """
        new = {
            row.line: row.key[1]
            for row in rows
            if row.key is not None and row.key[0] == "e" and row.line not in matches
        }
        if not new:
            return
        lock_names(f"contacts.email:{email}" for email in new.values())
        ids = _live_ids_by("email", set(new.values()))
        if not ids:
            return
        base = Contact.objects.filter(deleted_at__isnull=True).select_related("company")
        if self.update_existing:
            base = base.select_for_update(of=("self",))
        loaded = base.in_bulk(set(ids.values()))
        for line, email in new.items():
            if email in ids and ids[email] in loaded:
                matches[line] = loaded[ids[email]]

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
        out: BatchOutcome,
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
                out_row[at_company] = company_ids[folded(row.company)]
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
        out: BatchOutcome,
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
                company_id = company_ids[folded(row.company)]
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
            update_objects(changed, sorted(fields | {"search_text", "updated_at", "version"}))
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
