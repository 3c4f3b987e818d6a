# Drafts of gap assessments; a criterion's level may be "not assessed yet" (null).

import django.core.validators
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0003_seed_criteria_and_prices"),
        ("projects", "0008_metric_gate_window"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AssessmentDraft",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("note", models.TextField(blank=True)),
                ("values", models.JSONField(blank=True, default=dict)),
            ],
        ),
        migrations.CreateModel(
            name="HistoricalAssessmentDraft",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                ("updated_at", models.DateTimeField(blank=True, editable=False)),
                ("note", models.TextField(blank=True)),
                ("values", models.JSONField(blank=True, default=dict)),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")],
                        max_length=1,
                    ),
                ),
            ],
            options={
                "verbose_name": "historical assessment draft",
                "verbose_name_plural": "historical assessment drafts",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.RemoveConstraint(
            model_name="criterionscore",
            name="levels_0_to_4",
        ),
        migrations.AlterField(
            model_name="criterionscore",
            name="level",
            field=models.PositiveSmallIntegerField(
                blank=True,
                null=True,
                validators=[django.core.validators.MaxValueValidator(4)],
            ),
        ),
        migrations.AlterField(
            model_name="historicalcriterionscore",
            name="level",
            field=models.PositiveSmallIntegerField(
                blank=True,
                null=True,
                validators=[django.core.validators.MaxValueValidator(4)],
            ),
        ),
        migrations.AddConstraint(
            model_name="criterionscore",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("level__isnull", True), ("level__lte", 4), _connector="OR"
                    ),
                    ("target__lte", 4),
                ),
                name="levels_0_to_4",
            ),
        ),
        migrations.AddField(
            model_name="assessmentdraft",
            name="author",
            field=models.ForeignKey(
                help_text="Who saved it last.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="assessmentdraft",
            name="project",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="assessment_draft",
                to="projects.project",
            ),
        ),
        migrations.AddField(
            model_name="historicalassessmentdraft",
            name="author",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                help_text="Who saved it last.",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="historicalassessmentdraft",
            name="history_user",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="historicalassessmentdraft",
            name="project",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="projects.project",
            ),
        ),
    ]
