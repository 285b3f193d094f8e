"""Replace the (snapshot, segment) index by (snapshot, segment, CLV highest first, customer).

A one-segment drill-down then reads its first page in order from the index instead of sorting
every row of the segment; the new index still serves every (snapshot, segment) lookup, so the
nightly bulk write keeps the same number of indexes.
"""

from django.db import migrations


def create_segment_clv_index(apps, schema_editor):
    """(snapshot, segment, CLV highest first with nulls last, customer): a segment's list order."""
    nulls = " NULLS LAST" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        "CREATE INDEX cv_snapshot_segment_clv_idx ON analytics_customervalue "
        f"(snapshot_id, segment, clv DESC{nulls}, customer_key)"
    )


def drop_segment_clv_index(apps, schema_editor):
    """Drop the segment's CLV index."""
    schema_editor.execute("DROP INDEX cv_snapshot_segment_clv_idx")


class Migration(migrations.Migration):

    dependencies = [
        ("analytics", "0006_owner_cells"),
    ]

    operations = [
        migrations.RunPython(create_segment_clv_index, drop_segment_clv_index),
        migrations.RemoveIndex(
            model_name="customervalue",
            name="cv_snapshot_segment_idx",
        ),
    ]
