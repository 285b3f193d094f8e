"""Roles grant registered capability codes instead of six boolean columns.

Every role's booleans become the codes that now carry the same decisions, so nobody gains or
loses a right; the codes derived here are recorded as applied, so the built-in defaults never
overrule what an administrator had set. Built-in roles that kept their built-in name (in
English or Spanish) get an empty name and are shown in the reader's language.
"""

from django.db import migrations, models
from django.utils import timezone

# boolean column -> the capability codes that now carry its decision
FROM_FLAG = {
    "can_write": ("contacts.write", "orders.write"),
    "can_delete": ("contacts.delete", "orders.delete"),
    "can_export": ("contacts.export", "orders.export", "analytics.export"),
    "can_merge": ("contacts.merge",),
    "can_manage_users": ("accounts.manage_users",),
}
# Importing needed both the import and the write flags.
IMPORT_CODES = ("contacts.import", "orders.import")
BUILT_IN_NAMES = {
    "administrador": {"Administrator", "Administrador"},
    "gerente": {"Manager", "Gerente"},
    "comercial": {"Sales rep", "Comercial"},
    "mercadeo": {"Marketing", "Mercadeo"},
    "servicio": {"Service", "Servicio"},
    "solo_lectura": {"Read only", "Solo lectura"},
}


def flags_to_codes(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    CapabilityDefault = apps.get_model("accounts", "CapabilityDefault")
    for role in Role.objects.all():
        codes = [code for flag, codes in FROM_FLAG.items() if getattr(role, flag) for code in codes]
        if role.can_import and role.can_write:
            codes.extend(IMPORT_CODES)
        role.capabilities = sorted(codes)
        if role.name in BUILT_IN_NAMES.get(role.code, ()):
            role.name = ""
        role.save(update_fields=["capabilities", "name"])
    derived = {code for codes in FROM_FLAG.values() for code in codes} | set(IMPORT_CODES)
    now = timezone.now()
    CapabilityDefault.objects.bulk_create(
        [CapabilityDefault(code=code, applied_at=now) for code in sorted(derived)],
        ignore_conflicts=True,
    )


def codes_to_flags(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.all():
        granted = set(role.capabilities)
        for flag, codes in FROM_FLAG.items():
            setattr(role, flag, codes[0] in granted)
        role.can_import = IMPORT_CODES[0] in granted
        if not role.name:
            role.name = sorted(BUILT_IN_NAMES.get(role.code, {role.code}))[0]
        role.save()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_default_roles")]

    operations = [
        migrations.CreateModel(
            name="CapabilityDefault",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("code", models.CharField(max_length=100, unique=True, verbose_name="code")),
                (
                    "applied_at",
                    models.DateTimeField(default=timezone.now, verbose_name="applied"),
                ),
            ],
            options={
                "verbose_name": "applied capability default",
                "verbose_name_plural": "applied capability defaults",
            },
        ),
        migrations.AddField(
            model_name="role",
            name="capabilities",
            field=models.JSONField(blank=True, default=list, verbose_name="capabilities"),
        ),
        migrations.AlterField(
            model_name="role",
            name="name",
            field=models.CharField(blank=True, max_length=80, verbose_name="name"),
        ),
        migrations.RunPython(flags_to_codes, codes_to_flags),
        migrations.RemoveField(model_name="role", name="can_write"),
        migrations.RemoveField(model_name="role", name="can_delete"),
        migrations.RemoveField(model_name="role", name="can_import"),
        migrations.RemoveField(model_name="role", name="can_export"),
        migrations.RemoveField(model_name="role", name="can_merge"),
        migrations.RemoveField(model_name="role", name="can_manage_users"),
    ]
