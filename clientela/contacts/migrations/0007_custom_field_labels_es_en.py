"""Custom fields get a label per language and English option labels; the existing label is
copied into both languages (and each option reads the same in English until translated)."""

from typing import Any

from django.db import migrations, models


def copy_labels(apps: Any, schema_editor: Any) -> None:
    CustomField = apps.get_model("contacts", "CustomField")
    for field in CustomField.objects.all():
        field.label_en = field.label_es
        field.choices_en = [str(c) for c in field.choices or []]
        field.save(update_fields=["label_en", "choices_en"])


def keep_spanish(apps: Any, schema_editor: Any) -> None:
    """Going back keeps the Spanish label as the one label."""


class Migration(migrations.Migration):
    dependencies = [("contacts", "0006_phone_extension")]

    operations = [
        migrations.RenameField("customfield", "label", "label_es"),
        migrations.AlterField(
            model_name="customfield",
            name="label_es",
            field=models.CharField(blank=True, max_length=100, verbose_name="label in Spanish"),
        ),
        migrations.AddField(
            model_name="customfield",
            name="label_en",
            field=models.CharField(blank=True, max_length=100, verbose_name="label in English"),
        ),
        migrations.AddField(
            model_name="customfield",
            name="choices_en",
            field=models.JSONField(blank=True, default=list, verbose_name="choices in English"),
        ),
        migrations.RunPython(copy_labels, keep_spanish),
    ]
