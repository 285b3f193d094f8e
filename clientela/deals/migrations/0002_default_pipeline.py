"""A new installation gets one pipeline to start with, and the usual lost reasons."""

from django.db import migrations

STAGES = (
    ("Nuevo", 10, "open", 7),
    ("Calificado", 25, "open", 14),
    ("Propuesta", 50, "open", 14),
    ("Negociación", 75, "open", 14),
    ("Ganado", 100, "won", None),
    ("Perdido", 0, "lost", None),
)
REASONS = (
    "Precio",
    "Eligió a la competencia",
    "Sin presupuesto",
    "Dejó de responder",
    "No era el momento",
)


def create_default(apps, schema_editor):
    Pipeline = apps.get_model("deals", "Pipeline")
    Stage = apps.get_model("deals", "Stage")
    LostReason = apps.get_model("deals", "LostReason")
    if not Pipeline.objects.exists():
        pipeline = Pipeline.objects.create(name="Ventas", position=1)
        Stage.objects.bulk_create(
            Stage(pipeline=pipeline, name=name, probability=p, kind=kind, rotting_days=days,
                  position=i)
            for i, (name, p, kind, days) in enumerate(STAGES, start=1)
        )
    if not LostReason.objects.exists():
        LostReason.objects.bulk_create(
            LostReason(name=name, position=i) for i, name in enumerate(REASONS, start=1)
        )


class Migration(migrations.Migration):
    dependencies = [("deals", "0001_initial")]

    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
