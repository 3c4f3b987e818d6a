"""The gap-assessment criteria and a starting model price list.

Loaded from assessments/criteria_data.py and price_data.py as they stand; admins
then keep both current in the Django admin.
"""

from datetime import date
from decimal import Decimal

from django.db import migrations


def load(apps, schema_editor):
    from assessments import criteria_data, price_data

    Criterion = apps.get_model("assessments", "AssessmentCriterion")
    ModelPrice = apps.get_model("assessments", "ModelPrice")
    order = 0
    for area in criteria_data.AREAS:
        for row in area["criteria"]:
            order += 10
            Criterion.objects.update_or_create(
                key=row["key"],
                defaults={
                    "area": area["key"],
                    "area_name": area["name"],
                    "name": row["name"],
                    "question": row["question"],
                    "levels": {str(k): v for k, v in row["levels"].items()},
                    "default_target": row["default_target"],
                    "remediation_step": row["remediation_step"],
                    "remediation": row["remediation"],
                    "order": order,
                },
            )
    as_of = date.fromisoformat(price_data.PRICES_AS_OF)
    for row in price_data.MODELS:
        ModelPrice.objects.update_or_create(
            name=row["name"],
            defaults={
                "provider": row["provider"],
                "input_per_mtok": Decimal(row["input_per_mtok"]),
                "output_per_mtok": Decimal(row["output_per_mtok"]),
                "context_window": row["context_window"],
                "latency_class": row["latency_class"],
                "tier": row["tier"],
                "prices_as_of": as_of,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("assessments", "0002_step_one_signed_by_approval")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
