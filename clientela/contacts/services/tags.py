"""Tags: found or created by name, shared by contacts and companies."""

from __future__ import annotations

from collections.abc import Iterable

from clientela.contacts.models import Tag


def tags_from_names(names: Iterable[str]) -> list[Tag]:
    """Existing or new tags for the given names (case-insensitive)."""
    tags: list[Tag] = []
    for raw in names:
        name = " ".join(str(raw).split())[:60]
        if not name:
            continue
        tag = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)
        if tag not in tags:
            tags.append(tag)
    return tags
