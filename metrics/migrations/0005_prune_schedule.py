"""The daily job that prunes hourly samples past their retention."""

from django.db import migrations


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=1, period="days")
    PeriodicTask.objects.update_or_create(
        name="prune hourly samples",
        defaults={
            "task": "metrics.prune_hourly_samples",
            "interval": every,
            "enabled": True,
        },
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name="prune hourly samples"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("metrics", "0004_alert_sweep_schedule")]

    operations = [migrations.RunPython(schedule, unschedule)]
