"""Keep each deal's furthest stage position (the funnel's GROUP BY over deals alone).

Also an (owner, pipeline, stage, amount) index for a rep's board sums, which replaces the
owner foreign key's own index (its prefix serves the same lookups).
"""

from typing import Any

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import Max, OuterRef, Subquery


def fill_furthest(apps: Any, schema_editor: Any) -> None:
    """Compute every existing deal's furthest position from its stage history (one UPDATE)."""
    deal = apps.get_model("deals", "Deal")
    history = apps.get_model("deals", "StageHistory")
    furthest = (
        history.objects.filter(
            deal_id=OuterRef("pk"),
            stage__pipeline_id=OuterRef("pipeline_id"),
            stage__kind__in=["open", "won"],
        )
        .order_by()
        .values("deal_id")
        .annotate(furthest=Max("stage__position"))
        .values("furthest")
    )
    deal.objects.update(furthest_position=Subquery(furthest))


class Migration(migrations.Migration):
    dependencies = [
        ("deals", "0005_catalog_deal_lines"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="deal",
            name="furthest_position",
            field=models.PositiveIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fill_furthest, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="deal",
            index=models.Index(
                fields=["pipeline", "created_at", "furthest_position"], name="deal_funnel_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="deal",
            index=models.Index(
                fields=["owner", "pipeline", "stage", "amount_company"],
                name="deal_owner_sums_idx",
            ),
        ),
        migrations.AlterField(
            model_name="deal",
            name="owner",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="deals",
                to=settings.AUTH_USER_MODEL,
                verbose_name="owner",
            ),
        ),
    ]
