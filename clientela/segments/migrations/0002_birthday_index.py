"""Birthdays by (month, day) on PostgreSQL: an index over live contacts, and its statistics.

"Birthday in the next N days" compiles to EXTRACT(MONTH/DAY FROM birthday) ranges. Without
these, PostgreSQL scans every contact and, guessing 0.5 % for each expression, plans the other
conditions of a segment as if a handful of contacts had a birthday soon (segment-1m: 500 ms).
The partial index reads the ~5 % of a month without visiting the table (it carries the id and
the birthday itself: PostgreSQL reads an expression index alone only when the column is in it);
the expression statistics (the planner ignores a partial index's) give the real share, so the
tag or consent can be hash-joined to it. SQLite scans instead, and has no such statistics.
"""

from django.db import migrations

MONTH_DAY = "(EXTRACT(MONTH FROM birthday)), (EXTRACT(DAY FROM birthday))"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"CREATE STATISTICS IF NOT EXISTS contact_birthday_stats ON {MONTH_DAY} "
            "FROM contacts_contact"
        )
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS contact_live_birthday_idx ON contacts_contact "
            f"({MONTH_DAY}) INCLUDE (id, birthday) WHERE deleted_at IS NULL AND birthday IS NOT NULL"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS contact_live_birthday_idx")
        cursor.execute("DROP STATISTICS IF EXISTS contact_birthday_stats")


class Migration(migrations.Migration):
    dependencies = [("segments", "0001_initial"), ("contacts", "0006_phone_extension")]
    operations = [migrations.RunPython(create, drop)]
