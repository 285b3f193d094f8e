"""Database expressions Django does not ship for every backend we support."""

from __future__ import annotations

from typing import Any

from django.db.models import Aggregate, JSONField


class JSONArrayAgg(Aggregate):
    """The aggregated values as one JSON array; an empty group gives NULL.

    JSONB_AGG on PostgreSQL, JSON_GROUP_ARRAY on SQLite (Django's JSONBAgg is PostgreSQL-only).
    """

    function = "JSONB_AGG"
    output_field = JSONField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        """SQLite's name for the same aggregate."""
        return self.as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra_context)
