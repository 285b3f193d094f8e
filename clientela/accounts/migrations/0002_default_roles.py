from django.db import migrations

# The built-in roles as this migration created them (frozen here: the application's own
# defaults have since become capability codes, see 0003).
# code -> (name, visibility, can_write, can_delete, can_import, can_export, can_merge, manage)
ROLES = {
    "administrador": ("Administrator", "all", True, True, True, True, True, True),
    "gerente": ("Manager", "all", True, True, True, True, True, False),
    "comercial": ("Sales rep", "own", True, False, False, False, True, False),
    "mercadeo": ("Marketing", "all", True, False, True, True, False, False),
    "servicio": ("Service", "department", True, False, False, False, False, False),
    "solo_lectura": ("Read only", "department", False, False, False, False, False, False),
}


def create_roles(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for code, (name, visibility, write, delete, imp, exp, merge, manage) in ROLES.items():
        Role.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
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
