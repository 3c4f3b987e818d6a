"""The hourly detection of the models each project uses and the daily check of vendor
reviews."""

from django.db import migrations

TASKS = (
    ("detect the models projects use", "inventory.models_detect_all", "hours"),
    ("check vendor reviews", "inventory.vendor_reviews_check", "days"),
)


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, period in TASKS:
        every, _ = IntervalSchedule.objects.get_or_create(every=1, period=period)
        PeriodicTask.objects.update_or_create(
            name=name,
            defaults={"task": task, "interval": every, "enabled": True},
        )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__in=[name for name, _, _ in TASKS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
