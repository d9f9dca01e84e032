"""Create one group per staff role; their permissions are set by ``setup_roles`` (and after
every migrate), from the role matrix in ``staff/roles.py``."""

from django.db import migrations

ROLES = ["purchaser", "warehouse", "merchandiser", "marketer", "support", "finance", "manager"]


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.using(schema_editor.connection.alias).get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
