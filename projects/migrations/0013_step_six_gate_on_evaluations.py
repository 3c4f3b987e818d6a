"""Step 6's gate is judged on evaluation runs now, not on production metrics: say so
where the step's gate is described, unless an admin has reworded it already."""

from django.db import migrations

OLD = (
    "The quality score named in the approved requirements meets its target, "
    "measured by the automated evaluation framework on the current evaluation set."
)


def reword(apps, schema_editor):
    from projects import catalog_data

    Step = apps.get_model("projects", "Step")
    (new,) = [row["gate"] for row in catalog_data.STEPS if row["number"] == 6]
    Step.objects.filter(number=6, gate_text=OLD).update(gate_text=new)


class Migration(migrations.Migration):
    dependencies = [("projects", "0012_notification_kind_channel_disabled")]

    operations = [migrations.RunPython(reword, migrations.RunPython.noop)]
