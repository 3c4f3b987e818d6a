"""Step 1's sign-off is now the owner's approval of a requirements version."""

from django.db import migrations


def approval_replaces_signoff(apps, schema_editor):
    apps.get_model("projects", "Step").objects.filter(number=1).update(signoff_roles=[])


def plain_signoff_again(apps, schema_editor):
    apps.get_model("projects", "Step").objects.filter(number=1).update(
        signoff_roles=["owner"]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0001_initial"),
        ("projects", "0004_seed_catalog"),
    ]

    operations = [migrations.RunPython(approval_replaces_signoff, plain_signoff_again)]
