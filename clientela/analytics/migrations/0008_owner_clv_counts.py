"""Each owner's CLV grid counts, which add up to a department's histogram."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("analytics", "0007_segment_clv_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="ownertables",
            name="clv_counts",
            field=models.JSONField(blank=True, null=True),
        ),
    ]
