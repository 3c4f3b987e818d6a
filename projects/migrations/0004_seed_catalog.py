"""The seven steps, the compliance frameworks and the checklist catalog.

Loaded from projects/catalog_data.py as it stands; afterwards admins edit the
catalog in the Django admin, and a change here needs a new data migration.
"""

from django.db import migrations

# Which project roles sign a step off (domain.md: step 1 the owner, until the
# requirements approval replaces it; step 3 a reviewer; step 7 lead and owner).
SIGNOFF_ROLES = {1: ["owner"], 3: ["reviewer"], 7: ["lead", "owner"]}


def load(apps, schema_editor):
    from projects import catalog_data

    Step = apps.get_model("projects", "Step")
    Framework = apps.get_model("projects", "Framework")
    Template = apps.get_model("projects", "ChecklistTemplate")

    steps = {}
    for row in catalog_data.STEPS:
        steps[row["number"]], _ = Step.objects.update_or_create(
            number=row["number"],
            defaults={
                "name": row["name"],
                "short_name": row["short_name"],
                "purpose": row["purpose"],
                "gate_text": row["gate"],
                "signoff_roles": SIGNOFF_ROLES.get(row["number"], []),
            },
        )
    frameworks = {}
    for row in catalog_data.FRAMEWORKS:
        frameworks[row["code"]], _ = Framework.objects.update_or_create(
            code=row["code"],
            defaults={"name": row["name"], "description": row["description"]},
        )
    for row in catalog_data.CHECKLIST:
        template, _ = Template.objects.update_or_create(
            key=row["key"],
            defaults={
                "step": steps[row["step"]],
                "title": row["title"],
                "guidance": row["guidance"],
                "required": row["required"],
                "evidence_required": row["evidence_required"],
                "min_classification": row["min_classification"] or "",
                "order": row["order"],
            },
        )
        template.frameworks.set([frameworks[code] for code in row["frameworks"]])


class Migration(migrations.Migration):
    dependencies = [("projects", "0003_steps_checklists")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
