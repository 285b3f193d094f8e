"""Indexes for sorting contacts by last update and for the trash of contacts and companies."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("contacts", "0002_search_index")]

    operations = [
        migrations.AddIndex(
            model_name="company",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", False)),
                fields=["-deleted_at", "-id"],
                name="company_trash_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["-updated_at", "-id"], name="contact_updated_idx"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", False)),
                fields=["-deleted_at", "-id"],
                name="contact_trash_idx",
            ),
        ),
    ]
