"""Give every cycle its semester rows, point problem targets at them, and date every pairing's start."""

import datetime

from django.db import migrations


def default_dates(academic_year, term):
    if term == 1:
        return datetime.date(academic_year, 9, 1), datetime.date(academic_year + 1, 3, 1) - datetime.timedelta(days=1)
    return datetime.date(academic_year + 1, 3, 1), datetime.date(academic_year + 1, 8, 31)


def forwards(apps, schema_editor):
    Cycle = apps.get_model("pairings", "Cycle")
    Semester = apps.get_model("pairings", "Semester")
    Problem = apps.get_model("pairings", "Problem")
    Pairing = apps.get_model("pairings", "Pairing")
    HistoricalPairing = apps.get_model("pairings", "HistoricalPairing")
    for cycle in Cycle.objects.all():
        year, term = cycle.first_academic_year, cycle.first_term
        while (year, term) <= (cycle.last_academic_year, cycle.last_term):
            starts_on, ends_on = default_dates(year, term)
            Semester.objects.get_or_create(
                cycle=cycle, academic_year=year, term=term,
                defaults={"starts_on": starts_on, "ends_on": ends_on,
                          "entry_closes_on": ends_on + datetime.timedelta(days=30)},
            )  # fmt: skip
            year, term = (year, 2) if term == 1 else (year + 1, 1)
        first = default_dates(cycle.first_academic_year, cycle.first_term)[0]
        Pairing.objects.filter(cycle=cycle, starts_on__isnull=True).update(starts_on=first)
        HistoricalPairing.objects.filter(cycle_id=cycle.pk, starts_on__isnull=True).update(starts_on=first)
    for problem in Problem.objects.filter(target_academic_year__isnull=False).select_related("agreement__pairing"):
        problem.target_semester = Semester.objects.filter(
            cycle_id=problem.agreement.pairing.cycle_id,
            academic_year=problem.target_academic_year,
            term=problem.target_term,
        ).first()
        problem.save(update_fields=["target_semester"])


class Migration(migrations.Migration):
    dependencies = [("pairings", "0006_semesters_and_start_dates")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
