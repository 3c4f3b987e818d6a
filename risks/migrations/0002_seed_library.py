"""The library of AI risks, from risks/library_data.py as it stands; afterwards admins
keep it in Runway's own pages (Manage → Risk library), and a change here needs a new
data migration."""

from django.db import migrations


def load(apps, schema_editor):
    from risks import library_data

    LibraryRisk = apps.get_model("risks", "LibraryRisk")
    Framework = apps.get_model("projects", "Framework")
    Template = apps.get_model("projects", "ChecklistTemplate")
    frameworks = {f.code: f for f in Framework.objects.all()}
    templates = {t.key: t for t in Template.objects.all()}
    for row in library_data.LIBRARY:
        entry, _ = LibraryRisk.objects.update_or_create(
            key=row["key"],
            defaults={
                "title": row["title"],
                "category": row["category"],
                "cause": row["cause"],
                "consequence": row["consequence"],
                "likelihood": row["likelihood"],
                "impact": row["impact"],
                "use_cases": row["use_cases"],
                "min_classification": row["min_classification"],
                "indicator": row["indicator"],
            },
        )
        entry.frameworks.set([frameworks[code] for code in row["frameworks"]])
        entry.mitigations.set([templates[key] for key in row["mitigations"]])


class Migration(migrations.Migration):
    dependencies = [
        ("risks", "0001_initial"),
        ("projects", "0004_seed_catalog"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
