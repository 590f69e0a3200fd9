"""The pairing, agreement and work-plan lists say what a state means, and adding a pairing offers fitting schools."""

import datetime
import json

import pytest
from django.urls import reverse

from liuzhou_pairing.actors import SYSTEM
from liuzhou_pairing.admin import WARNING_STYLE
from pairings.models import Agreement, Semester, WorkPlan
from pairings.services import agreement_save, cycle_create
from schools.choices import SchoolType, Stage, Standing

pytestmark = pytest.mark.django_db

WARNING = 'class="warning-label"'


def cells(page: str, column: str) -> list[str]:
    """Return the HTML of each cell of `column` (the admin's field-… class) in a change list."""
    marker = f'class="field-{column}'
    return [part.split(">", 1)[1].split("</td>", 1)[0] for part in page.split(marker)[1:]]


def test_overdue_agreements_are_warnings_never_a_success_tick(city_admin, world):
    helper = world.urban()
    on_time, late, unsigned = (
        world.pair(helper, world.central(name)) for name in ("甲镇中心小学", "乙中心", "丙中心")
    )
    signed = {"helper_signatory": "张校长", "recipient_signatory": "李校长"}
    agreement_save(agreement=Agreement(pairing=on_time, signed_on=datetime.date(2016, 9, 20), **signed), actor=SYSTEM)
    agreement_save(agreement=Agreement(pairing=late, signed_on=datetime.date(2016, 11, 2), **signed), actor=SYSTEM)
    agreement_save(agreement=Agreement(pairing=unsigned), actor=SYSTEM)

    page = city_admin.get(reverse("admin:pairings_agreement_changelist")).content.decode()
    states = cells(page, "is_late_display")
    warning = f'<span {WARNING} style="{WARNING_STYLE}">⚠ '
    assert sorted(states) == sorted(["按期签订", f"{warning}逾期签订</span>", f"{warning}逾期未签订</span>"])
    assert not any("icon-yes" in state for state in states)


def test_overdue_work_plans_are_warnings(city_admin, world):
    WorkPlan.objects.create(cycle=world.cycle, county=world.county)  # not submitted, deadline 2016-09-15 passed
    WorkPlan.objects.create(cycle=world.cycle, county=world.district, submitted_on=datetime.date(2016, 9, 1))
    WorkPlan.objects.create(cycle=world.cycle, county=world.other_county, submitted_on=datetime.date(2016, 10, 1))
    page = city_admin.get(reverse("admin:pairings_workplan_changelist")).content.decode()
    states = [s.split("⚠ ")[-1].removesuffix("</span>") for s in cells(page, "is_late_display")]
    assert sorted(states) == sorted(["逾期未报送", "按期报送", "逾期报送"])
    assert sum(WARNING in s for s in cells(page, "is_late_display")) == 2
    assert "icon-yes" not in "".join(cells(page, "is_late_display"))


def test_the_pairing_list_shows_short_columns_and_warnings_as_a_count(city_admin, world):
    # Helper not high-quality, recipient not weak: two warnings.
    world.pair(world.urban(standing=Standing.ORDINARY), world.central(standing=Standing.ORDINARY),
               arranged_by_county=world.district)  # fmt: skip
    page = city_admin.get(reverse("admin:pairings_pairing_changelist")).content.decode()
    [count] = cells(page, "warning_count")
    assert WARNING in count and "⚠ 2" in count and 'title="' in count
    assert cells(page, "arranged_by_unit") == ["测试城区"]
    assert cells(page, "status") == ["帮扶中"]
    assert "field-cycle" not in page and "field-warning_list" not in page
    assert "pairings/pairing_list.css" in page


def autocomplete(client, field: str, **params) -> list[str]:
    query = {"app_label": "pairings", "model_name": "pairing", "field_name": field, "term": "", **params}
    response = client.get(reverse("admin:autocomplete"), query)
    assert response.status_code == 200
    return sorted(r["text"] for r in json.loads(response.content)["results"])


def test_the_school_choices_of_a_pairing_follow_its_stage(city_admin, world):
    world.school("甲镇中心幼儿园", SchoolType.KINDERGARTEN, township=world.town)
    world.school("县第一中学", SchoolType.SENIOR_HIGH)
    world.central()
    assert autocomplete(city_admin, "helper", stage=Stage.PRESCHOOL) == ["甲镇中心幼儿园"]
    assert autocomplete(city_admin, "recipient", stage=Stage.HIGH_SCHOOL) == ["县第一中学"]
    assert autocomplete(city_admin, "lead_school", stage=Stage.COMPULSORY) == ["甲镇中心小学"]
    assert autocomplete(city_admin, "helper") == ["县第一中学", "甲镇中心小学", "甲镇中心幼儿园"]
    # The add page makes the school widgets send the chosen stage.
    page = city_admin.get(reverse("admin:pairings_pairing_add")).content.decode()
    assert page.count('data-forward="stage"') == 3 and "liuzhou_pairing/autocomplete_forward.js" in page


def test_adding_a_pairing_preselects_the_current_cycle(city_admin, world):
    fields = {"work_plan_deadline": datetime.date(2016, 9, 15), "agreement_deadline": datetime.date(2016, 9, 30)}
    current = cycle_create(actor=SYSTEM, name="2016—2020年（新）", first_academic_year=2016, last_academic_year=2020,
                           **fields)  # fmt: skip
    # A cycle whose semesters have not started yet is not the current one.
    cycle_create(actor=SYSTEM, name="2090—2094年", first_academic_year=2090, last_academic_year=2094, **fields)
    form = city_admin.get(reverse("admin:pairings_pairing_add")).context["adminform"].form
    assert form.initial["cycle"] == current.pk


def test_adding_a_pairing_before_any_semester_has_started_preselects_the_latest_cycle(city_admin, world):
    """Before the first semester starts (a city arranging its first cycle) the cycle being prepared is offered."""
    assert not Semester.objects.exists()  # the world's cycle has no semester rows
    form = city_admin.get(reverse("admin:pairings_pairing_add")).context["adminform"].form
    assert form.initial["cycle"] == world.cycle.pk


def test_files_name_an_arranging_county_by_its_short_name_and_read_every_name(liuzhou):
    from pairings.resources import ArrangerWidget
    from schools.models import County
    from schools.resources import AREAS

    rongshui = County.objects.get(name="融水苗族自治县")
    assert ArrangerWidget().render(rongshui) == "融水县教育局"
    AREAS.load()
    assert ArrangerWidget().clean("融水县教育局") == ArrangerWidget().clean("融水苗族自治县教育局") == rongshui
