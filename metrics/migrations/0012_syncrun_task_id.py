from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("metrics", "0011_alert_kind_model")]

    operations = [
        migrations.AddField(
            model_name="syncrun",
            name="task_id",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
    ]
