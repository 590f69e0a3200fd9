from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0003_exemplary_cases"),
        ("pairings", "0011_work_plan_attachments"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The lists' order (newest first): their first page is read from it, not sorted from the whole table.
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(fields=["date", "id"], name="activity_date_idx"),
        ),
        # A semester's confirmed (or pending) activities and the pairings having them (compliance counts).
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(fields=["semester", "status", "pairing"], name="activity_semester_status_idx"),
        ),
    ]
