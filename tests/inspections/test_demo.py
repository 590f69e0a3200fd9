"""generate_demo makes the inspections of the demo's latest semester (R28–R31): signed county self-inspections,
drafts, self-inspections of a school and a pairing, city re-inspections with an overturned item, special
inspections done and missing, findings in every state and overdue, a spot-check sample; the same for the same
seed, and clearing removes exactly what it made."""

import datetime
import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Profile
from accounts.services import user_create
from inspections import demo
from inspections.choices import FindingStatus, InspectionStatus, ItemResult, Level, Review
from inspections.models import Finding, Inspection, InspectionItem, SpotCheck
from inspections.selectors import special_inspections
from inspections.services import inspection_save, spot_check_draw
from liuzhou_pairing.actors import SYSTEM
from liuzhou_pairing.steps import demo_steps
from pairings.liuzhou import liuzhou_cycle
from pairings.models import Semester
from schools.models import County

pytestmark = pytest.mark.django_db


def fingerprint() -> list[tuple]:
    """What the demo made, without primary keys."""
    inspections = {}
    for i in Inspection.objects.select_related("county", "school", "pairing__helper", "pairing__recipient"):
        unit = str(i.county or i.school or f"{i.pairing.helper.name}—{i.pairing.recipient.name}")
        inspections[i.pk] = (i.level, unit, str(i.date))
    rows = [
        ("inspection", *inspections[i.pk], i.status, i.inspectors, i.rating, i.is_special,
         inspections.get(i.reviews_id), i.facts.get("as_of"), bool(i.report))
        for i in Inspection.objects.all()
    ]  # fmt: skip
    rows += [
        ("item", *inspections[item.inspection_id], item.code, item.result, item.note, item.review, item.review_note)
        for item in InspectionItem.objects.all()
    ]
    rows += [
        ("finding", *inspections[f.inspection_id], str(f.responsible), f.text, str(f.deadline), f.status,
         f.rectification, f.verification_note)
        for f in Finding.objects.select_related("school", "county")
    ]  # fmt: skip
    rows += [
        ("sample", s.semester.token, s.size, s.seed, s.reason, tuple(sorted(str(p) for p in s.pairings.all())))
        for s in SpotCheck.objects.all()
    ]
    return sorted(rows, key=repr)


def clear_demo() -> None:
    """Clear the demo as generate_demo does before generating: from the last step to the first."""
    for step in reversed(demo_steps()):
        if step.clear is not None:
            step.clear()


def test_generate_demo_makes_every_kind_of_inspection_and_finding_reproducibly_and_clears_only_its_own():
    call_command("load_liuzhou", stdout=io.StringIO())
    cycle = liuzhou_cycle()
    counties = list(County.objects.order_by("code"))
    home = County.objects.get(short_name=demo.DEMO_COUNTY)
    # Records of real users: an inspection of a real county and a spot-check sample; the demo leaves them alone.
    first = Semester.objects.filter(cycle=cycle).order_by("starts_on").first()
    real = inspection_save(
        inspection=Inspection(level=Level.COUNTY_SELF, semester=first, county=counties[0], date=first.ends_on),
        actor=SYSTEM,
    )
    _pairings, real_sample = spot_check_draw(semester=first, size=3, seed=1, actor=SYSTEM, reason="真实抽查")

    output = io.StringIO()
    call_command("generate_demo", seed=5, stdout=output)
    latest = Semester.objects.filter(cycle=cycle, activities__isnull=False).order_by("starts_on").last()
    assert "demo_inspections_generate: " in output.getvalue()
    assert f"inspections of {latest.token}" in output.getvalue()
    made = Inspection.objects.exclude(pk=real.pk)
    assert set(made.values_list("semester", flat=True)) == {latest.pk}
    signed = made.filter(status=InspectionStatus.SIGNED)

    # R28: a signed county self-inspection of most counties (all but two), drafts, a school's and a pairing's.
    selves = signed.filter(level=Level.COUNTY_SELF)
    assert selves.exclude(county=None).count() == len(counties) - demo.UNSIGNED_COUNTIES
    assert selves.filter(county=home).exists()
    assert selves.exclude(school=None).exists() and selves.exclude(pairing=None).exists()
    assert made.filter(status=InspectionStatus.DRAFT).count() >= 2
    assert not made.filter(level=Level.REGION_SPOT_CHECK).exists()
    results = Counter(InspectionItem.objects.filter(inspection__in=selves).values_list("result", flat=True))
    assert results[ItemResult.PASS] > results[ItemResult.PARTLY] > 0 and results[ItemResult.FAIL] >= 1
    assert not signed.filter(rating="").exists() and not signed.filter(report="").exists()
    # Signed on their date: the frozen facts carry it, and are the system's facts of the semester.
    for inspection in signed:
        assert inspection.facts["as_of"] == inspection.date.isoformat()
        assert inspection.facts["semester"] == latest.label
        assert timezone.localdate(inspection.signed_at) == inspection.date
    assert any(i.facts["judged"] for i in selves.exclude(county=None))

    # R28: city re-inspections review signed self-inspections; one overturns an item of the demo county, with a note.
    reviews = signed.filter(level=Level.CITY_REVIEW)
    assert reviews.count() == demo.REVIEWED_COUNTIES
    for review in reviews:
        assert review.reviews.status == InspectionStatus.SIGNED and review.reviews.county == review.county
        assert review.date >= review.reviews.date
    overturned = InspectionItem.objects.filter(inspection__in=reviews, review=Review.OVERTURNS)
    assert [item.inspection.county for item in overturned] == [home]
    assert overturned[0].review_note
    mine = overturned[0].inspection.reviews.items.get(code=overturned[0].code)
    assert mine.result != overturned[0].result
    assert not InspectionItem.objects.filter(inspection__in=reviews, review="").exists()

    # R31: the special inspection done in some counties (the demo county among them), missing in the others.
    special = {row.county: row.done for row in special_inspections(semester=latest, user=SYSTEM)}
    assert special[home] and 0 < sum(special.values()) < len(counties)

    # Findings in every state, overdue ones, and open ones still in time; responsible a school or a bureau.
    findings = Finding.objects.all()
    assert set(findings.values_list("status", flat=True)) == set(FindingStatus.values)
    today = timezone.localdate()
    assert findings.overdue().exists()
    assert findings.filter(status=FindingStatus.OPEN, deadline__gte=today).exists()
    assert findings.exclude(school=None).exists() and findings.exclude(county=None).exists()
    assert findings.filter(inspection__level=Level.CITY_REVIEW).exists()
    said = Counter(findings.values_list("school", "county", "text"))
    assert said.most_common(1)[0][1] == 1  # no unit is told the same thing twice
    for finding in findings.exclude(status__in=(FindingStatus.OPEN,)):
        assert finding.rectification and finding.rectification_file and finding.rectified_at
    assert not findings.filter(status=FindingStatus.VERIFIED, verified_at=None).exists()
    assert not findings.filter(status=FindingStatus.REOPENED, verification_note="").exists()

    # The spot-check sample of the semester, drawn with the run's seed and a reason.
    sample = SpotCheck.objects.get(reason=demo.SPOT_CHECK_REASON)
    assert (sample.semester, sample.seed, sample.size) == (latest, 5, demo.SPOT_CHECK_SIZE)
    assert sample.pairings.count() == demo.SPOT_CHECK_SIZE

    # The demo school account's school has something to fix, and its account sees it after another run.
    school = Finding.objects.filter(school__name__in=demo.DEMO_SCHOOLS).first().school
    user, _password = user_create(actor=SYSTEM, username="demo_school", role="school", school=school)
    assert Finding.objects.for_user(user).overdue().exists()
    assert Finding.objects.for_user(user).filter(status=FindingStatus.OPEN, deadline__gte=today).exists()

    before = fingerprint()
    call_command("generate_demo", seed=5, stdout=io.StringIO())
    # Same seed, same records; nothing of the earlier run is left, history included.
    assert fingerprint() == before
    user = Profile.objects.get(user__username="demo_school").user
    assert Finding.objects.for_user(user).overdue().exists()
    assert set(Inspection.history.values_list("id", flat=True)) == set(Inspection.objects.values_list("pk", flat=True))
    assert set(Finding.history.values_list("id", flat=True)) == set(Finding.objects.values_list("pk", flat=True))
    assert SpotCheck.objects.filter(reason=demo.SPOT_CHECK_REASON).count() == 1

    # Clearing removes exactly what the demo made; the real inspection and sample stay as they were.
    clear_demo()
    assert list(Inspection.objects.all()) == [real]
    assert not Finding.objects.exists() and not Finding.history.exists()
    assert list(SpotCheck.objects.all()) == [real_sample]
    assert set(Inspection.history.values_list("id", flat=True)) == {real.pk}
    assert Inspection.objects.get(pk=real.pk).version == 1


def test_the_demo_school_and_county_are_those_of_the_demo_accounts():
    """inspections may not import accounts: its names of the demo accounts' school and county follow setup_demo's,
    whose accounts include a county inspector, a city-wide inspector and a region inspector."""
    from accounts.choices import Role
    from accounts.management.commands.setup_demo import DEMO_ACCOUNTS

    by_role = Counter((role, bool(county)) for _name, role, county, _school, _label in DEMO_ACCOUNTS)
    assert by_role[Role.INSPECTOR, True] and by_role[Role.INSPECTOR, False] and by_role[Role.REGION, False]
    schools = next(school for _name, role, _county, school, _label in DEMO_ACCOUNTS if role == Role.SCHOOL)
    assert tuple(schools[: len(demo.DEMO_SCHOOLS)]) == demo.DEMO_SCHOOLS
    counties = {county for _name, role, county, *_rest in DEMO_ACCOUNTS if role == Role.COUNTY}
    assert counties == {demo.DEMO_COUNTY}


def test_the_demo_signs_on_the_inspection_day_before_today():
    """An inspection date never lies after today nor outside its semester, whatever the semester."""
    semester = Semester(starts_on=datetime.date(2020, 9, 1), ends_on=datetime.date(2021, 2, 28))
    maker = demo.DemoInspections(5, semester, today=datetime.date(2020, 9, 10))
    for _n in range(20):
        assert semester.starts_on <= maker.day(0, 50) <= datetime.date(2020, 9, 10)
        assert maker.day(10, 20, after=datetime.date(2020, 9, 5)) <= datetime.date(2020, 9, 10)
