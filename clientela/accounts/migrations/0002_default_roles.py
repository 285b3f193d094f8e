from django.db import migrations

from clientela.accounts.choices import DEFAULT_ROLES, RoleCode


def create_roles(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for code, (visibility, write, delete, imp, exp, merge, manage) in DEFAULT_ROLES.items():
        Role.objects.get_or_create(
            code=code,
            defaults={
                "name": str(RoleCode(code).label),
                "visibility": visibility,
                "can_write": write,
                "can_delete": delete,
                "can_import": imp,
                "can_export": exp,
                "can_merge": merge,
                "can_manage_users": manage,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
