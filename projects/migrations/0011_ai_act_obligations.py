"""The EU AI Act obligations a project's tier brings, as checklist templates.

Touches only the catalog rows tied to a tier (``catalog_data`` rows with
``ai_act_tiers``): creates those not there yet and sets the tiers of all of them. Their
wording, and every other row, is left as admins may have edited it since 0004.
"""

from django.db import migrations


def load(apps, schema_editor):
    from projects import catalog_data

    Step = apps.get_model("projects", "Step")
    Framework = apps.get_model("projects", "Framework")
    Template = apps.get_model("projects", "ChecklistTemplate")

    steps = {step.number: step for step in Step.objects.all()}
    frameworks = {fw.code: fw for fw in Framework.objects.all()}
    for row in catalog_data.CHECKLIST:
        if not row.get("ai_act_tiers"):
            continue
        template, created = Template.objects.get_or_create(
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
        template.ai_act_tiers = row["ai_act_tiers"]
        template.save(update_fields=["ai_act_tiers"])
        if created:
            template.frameworks.set([frameworks[c] for c in row["frameworks"]])


class Migration(migrations.Migration):
    dependencies = [("projects", "0010_ai_act_tier")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
