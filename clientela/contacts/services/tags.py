"""Tags: found or created by name, shared by contacts and companies."""

from __future__ import annotations

from collections.abc import Iterable
from functools import reduce
from operator import or_

from django.db.models import Q

from clientela.contacts.models import Contact, Tag


def tags_from_names(names: Iterable[str]) -> list[Tag]:
    """Existing or new tags for the given names (case-insensitive), found in one query."""
    wanted: list[str] = []
    for raw in names:
        name = " ".join(str(raw).split())[:60]
        if name and name.lower() not in {w.lower() for w in wanted}:
            wanted.append(name)
    if not wanted:
        return []
    found = list(
        Tag.objects.filter(reduce(or_, (Q(name__iexact=name) for name in wanted))).order_by("id")
    )
    tags: list[Tag] = []
    for name in wanted:
        tag = next((t for t in found if t.name.lower() == name.lower()), None)
        if tag is None:
            tag = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)
        if tag not in tags:
            tags.append(tag)
    return tags


def tag_new_contact(contact: Contact, tags: Iterable[Tag]) -> None:
    """Give a contact just created (no tags yet) its tags: one INSERT, no look-up first."""
    through = Contact.tags.through
    rows = [through(contact_id=contact.pk, tag_id=tag.pk) for tag in tags]
    if rows:
        through.objects.bulk_create(rows)
