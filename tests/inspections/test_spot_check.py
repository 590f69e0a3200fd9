"""The region spot check's sample (自治区抽查, R28): reproducible, stratified by the recipient's county, recorded with
its seed, size, who drew it and why."""

import io
import json
import random
import re
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.services import user_create
from inspections.choices import Level
from inspections.models import Inspection, SpotCheck
from inspections.sampling import draw_sample, shares
from inspections.services import spot_check_draw
from liuzhou_pairing.access import NotAllowed
from liuzhou_pairing.actors import SYSTEM
from pairings.models import Semester
from pairings.services import semesters_ensure
from tests.accounts.conftest import PASSWORD
from tests.helpers import admin_form_data


def pairings(counts: dict[str | None, int]) -> list[SimpleNamespace]:
    """Return stand-ins for pairings: `counts[code]` of them with a recipient in the county of that code (None: a
    city-administered recipient), numbered 1, 2, … across the counties."""
    made = []
    for code, count in counts.items():
        for _i in range(count):
            county = SimpleNamespace(code=code) if code is not None else None
            made.append(SimpleNamespace(pk=len(made) + 1, recipient=SimpleNamespace(county=county)))
    return made


def by_county(sample) -> dict[str, int]:
    found: dict[str, int] = {}
    for pairing in sample:
        code = pairing.recipient.county.code if pairing.recipient.county else ""
        found[code] = found.get(code, 0) + 1
    return found


def pks(sample) -> list[int]:
    return [pairing.pk for pairing in sample]


# --- the draw ---------------------------------------------------------------------------------------------------

LANDSCAPE = {"450202": 40, "450203": 25, "450204": 12, "450205": 6, "450206": 3, "450221": 1, None: 2}


def test_r28_the_same_seed_draws_the_same_sample_and_another_seed_another():
    candidates = pairings(LANDSCAPE)
    first = draw_sample(candidates, 20, 2016)
    assert len(first) == 20
    assert pks(draw_sample(candidates, 20, 2016)) == pks(first)
    assert pks(draw_sample(candidates, 20, 2017)) != pks(first)
    assert pks(draw_sample(candidates, 20, 1)) != pks(first)


def test_r28_the_sample_does_not_depend_on_the_order_the_candidates_come_in():
    candidates = pairings(LANDSCAPE)
    shuffled = list(candidates)
    random.Random(99).shuffle(shuffled)
    assert pks(draw_sample(shuffled, 15, 42)) == pks(draw_sample(candidates, 15, 42))
    # The sample is listed in the stable order: county code, then pairing.
    sample = draw_sample(shuffled, 15, 42)
    keys = [(p.recipient.county.code if p.recipient.county else "", p.pk) for p in sample]
    assert keys == sorted(keys)


@pytest.mark.parametrize("seed", [0, 1, 7, 2016, 123456])
def test_r28_every_county_with_pairings_is_represented_when_the_size_allows(seed):
    candidates = pairings(LANDSCAPE)
    sample = draw_sample(candidates, len(LANDSCAPE), seed)
    # One each, the city-administered recipients ("") forming a stratum of their own.
    assert by_county(sample) == {code or "": 1 for code in LANDSCAPE}
    sample = draw_sample(candidates, 30, seed)
    assert set(by_county(sample)) == {code or "" for code in LANDSCAPE}
    assert len(sample) == len(set(pks(sample))) == 30


def test_r28_the_rest_is_shared_in_proportion_by_largest_remainder():
    # 6, 3 and 1 pairings, 6 drawn: one each, and the 3 left shared as 1.8, 0.9 and 0.3 — the whole parts
    # (1, 0, 0), then one more each to the largest remainders, 0.9 and 0.8.
    assert shares({"A": 6, "B": 3, "C": 1}, 6) == {"A": 3, "B": 2, "C": 1}
    sample = draw_sample(pairings({"A": 6, "B": 3, "C": 1}), 6, 5)
    assert by_county(sample) == {"A": 3, "B": 2, "C": 1}
    # Equal remainders go to the county with the smaller code.
    assert shares({"B": 2, "A": 2}, 3) == {"A": 2, "B": 1}
    # A remainder whose county has no pairing left passes to the next: 1 + 0.7 cannot be 2 of 1 pairing.
    assert shares({"A": 1, "B": 9}, 9) == {"A": 1, "B": 8}
    # The landscape: 7 strata, 13 more shared in proportion to 40, 25, 12, 6, 3, 1 and 2 of 89.
    given = shares({code or "": n for code, n in LANDSCAPE.items()}, 20)
    # Whole parts 5, 3, 1, 0, 0, 0, 0; the four left go to the remainders .88, .84, .75 and .65.
    assert given == {"450202": 7, "450203": 5, "450204": 3, "450205": 2, "450206": 1, "450221": 1, "": 1}
    assert sum(given.values()) == 20


def test_r28_the_sample_has_exactly_the_size_asked_for_whatever_the_size():
    # Counties drawn whole pass their seats on until every seat is given: with one big county among small ones, a
    # single pass over the remainders left seats unfilled (102 asked of 1, 1, 1 and 100 gave 100).
    assert shares({"A": 1, "B": 1, "C": 1, "D": 100}, 102) == {"A": 1, "B": 1, "C": 1, "D": 99}
    candidates = pairings(LANDSCAPE)
    for size in range(1, len(candidates) + 2):
        sample = draw_sample(candidates, size, 7)
        assert len(sample) == min(size, len(candidates)) == len({p.pk for p in sample}), size
        if size >= len(LANDSCAPE):
            assert len(by_county(sample)) == len(LANDSCAPE)
    for counts in ({"A": 1, "B": 2, "C": 3, "D": 50}, {"A": 1, "B": 1, "C": 40}, {"A": 2, "B": 2, "C": 2, "D": 9}):
        total = sum(counts.values())
        for size in range(len(counts), total):
            given = shares(counts, size)
            assert sum(given.values()) == size and all(1 <= given[k] <= counts[k] for k in counts), (counts, size)


@pytest.mark.parametrize("seed", [0, 3, 11])
def test_r28_a_size_below_the_number_of_counties_draws_counties_then_one_pairing_each(seed):
    candidates = pairings(LANDSCAPE)
    sample = draw_sample(candidates, 3, seed)
    assert len(sample) == 3 and set(by_county(sample).values()) == {1}
    assert pks(draw_sample(candidates, 3, seed)) == pks(sample)
    drawn_counties = {frozenset(by_county(draw_sample(candidates, 3, s))) for s in range(10)}
    assert len(drawn_counties) > 1  # the counties themselves are drawn, not always the first three


def test_r28_a_size_above_the_candidates_takes_them_all():
    candidates = pairings({"A": 2, "B": 1})
    assert pks(draw_sample(candidates, 3, 1)) == pks(draw_sample(candidates, 50, 9)) == [1, 2, 3]
    assert draw_sample([], 5, 1) == []


# --- the service ------------------------------------------------------------------------------------------------


@pytest.fixture
def semester(land):
    semesters_ensure(cycle=land.cycle, actor=SYSTEM)
    return Semester.objects.get(cycle=land.cycle, academic_year=2016, term=1)


def test_r28_the_service_draws_from_the_semesters_active_pairings_the_same_way_each_time(land, semester):
    everything = {land.own_pairing.pk, land.other_pairing.pk, land.cross_pairing.pk}
    sample, _none = spot_check_draw(semester=semester, size=10, seed=1, actor=SYSTEM, dry_run=True)
    assert set(pks(sample)) == everything
    first, _none = spot_check_draw(semester=semester, size=2, seed=4, actor=land.users["region"], dry_run=True)
    again, _none = spot_check_draw(semester=semester, size=2, seed=4, actor=land.users["city"], dry_run=True)
    assert pks(first) == pks(again)
    # Both counties (甲县: two pairings, 乙县: one) are represented.
    assert {p.recipient.county for p in first} == {land.own, land.other}


def test_r28_only_pairings_active_in_the_semester_are_drawn(land, semester):
    import datetime

    from pairings.services import pairing_end

    pairing_end(pairing=land.own_pairing, actor=SYSTEM, on=datetime.date(2016, 12, 1), reason="学校撤并")
    sample, _none = spot_check_draw(semester=semester, size=10, seed=1, actor=SYSTEM, dry_run=True)
    assert land.own_pairing.pk in pks(sample)  # ended in the semester, but active on a day of it
    later = Semester.objects.get(cycle=land.cycle, academic_year=2016, term=2)
    sample, _none = spot_check_draw(semester=later, size=10, seed=1, actor=SYSTEM, dry_run=True)
    assert set(pks(sample)) == {land.other_pairing.pk, land.cross_pairing.pk}


def test_r28_a_dry_run_records_nothing(land, semester):
    sample, spot_check = spot_check_draw(
        semester=semester, size=2, seed=3, actor=land.users["region"], reason="", dry_run=True
    )
    assert len(sample) == 2 and spot_check is None
    assert not SpotCheck.objects.exists() and not SpotCheck.history.exists()


def test_r28_a_recorded_sample_keeps_its_seed_size_pairings_who_and_why(land, semester):
    region = land.users["region"]
    sample, spot_check = spot_check_draw(
        semester=semester, size=2, seed=3, actor=region, reason="2016年秋季学期自治区抽查"
    )
    spot_check.refresh_from_db()
    assert (spot_check.semester, spot_check.size, spot_check.seed) == (semester, 2, 3)
    assert spot_check.drawn_by == region and spot_check.reason == "2016年秋季学期自治区抽查"
    assert sorted(spot_check.pairings.values_list("pk", flat=True)) == sorted(pks(sample))
    record = spot_check.history.get()
    assert record.history_user == region and record.history_change_reason == "2016年秋季学期自治区抽查"
    _sample, by_system = spot_check_draw(semester=semester, size=1, seed=3, actor=SYSTEM, reason="复核")
    assert by_system.drawn_by is None


@pytest.mark.parametrize("role", ["county", "school", "inspector", "city_inspector"])
def test_r28_only_the_region_inspector_or_the_city_records_a_sample(land, semester, role):
    if role == "city_inspector":
        actor = user_create(actor=SYSTEM, username="duxue", role="inspector", password=PASSWORD)[0]
    else:
        actor = land.users[role]
    with pytest.raises(NotAllowed, match="自治区督导"):
        spot_check_draw(semester=semester, size=2, seed=1, actor=actor, reason="抽查")
    assert not SpotCheck.objects.exists()
    if role == "city_inspector":  # sees every pairing: may look at a draw, not record it
        sample, _none = spot_check_draw(semester=semester, size=2, seed=1, actor=actor, dry_run=True)
        assert len(sample) == 2
    for allowed in ("region", "city"):
        spot_check_draw(semester=semester, size=2, seed=1, actor=land.users[allowed], reason="抽查")
    assert SpotCheck.objects.count() == 2


def test_r28_recording_needs_a_reason_and_a_size_of_at_least_one(land, semester):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="原因|理由"):
        spot_check_draw(semester=semester, size=2, seed=1, actor=land.users["region"], reason="  ")
    with pytest.raises(ValidationError) as refused:
        spot_check_draw(semester=semester, size=0, seed=1, actor=land.users["region"], reason="抽查")
    assert "size" in refused.value.error_dict
    assert not SpotCheck.objects.exists()


# --- the command ------------------------------------------------------------------------------------------------


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("spot_check_sample", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_r28_the_command_prints_json_with_the_required_keys_and_records_nothing_on_a_dry_run(land, semester):
    out, err = run("--semester", "2016-1", "--size", "2", "--seed", "5", "--dry-run", "--format", "json")
    data = json.loads(out)
    assert len(data) == 2
    assert all(set(item) == {"pairing", "helper", "recipient", "county"} for item in data)
    other = land.other_pairing
    assert {"pairing": other.pk, "helper": other.helper.name, "recipient": other.recipient.name,
            "county": "乙县"} in data  # fmt: skip
    assert "未记录" in err and not SpotCheck.objects.exists()
    label = "2016—2017学年第一学期"
    again, _err = run("--semester", label, "--size", "2", "--seed", "5", "--dry-run", "--format", "json")
    assert json.loads(again) == data


def test_r28_the_command_records_as_the_user_given_or_the_system(land, semester):
    out, _err = run("--semester", "2016-1", "--size", "2", "--seed", "5", "--user", "region", "--reason", "专项抽查")
    lines = out.splitlines()
    assert re.match(r"结对\s+帮扶学校\s+受援学校\s+县（区）", lines[0])
    assert len(lines) == 4 and "已记录" in lines[-1]
    spot_check = SpotCheck.objects.get()
    assert (spot_check.drawn_by, spot_check.reason, spot_check.seed, spot_check.size) == (
        land.users["region"],
        "专项抽查",
        5,
        2,
    )
    run("--semester", "2016-1", "--size", "1", "--seed", "5", "--reason", "服务器上抽取")
    assert SpotCheck.objects.filter(drawn_by=None).count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--semester", "2099-1", "--size", "2", "--seed", "1", "--dry-run"], "没有"),
        (["--semester", "2016-1", "--size", "0", "--seed", "1", "--dry-run"], "0"),
        (["--semester", "2016-1", "--size", "两个", "--seed", "1", "--dry-run"], "两个"),
        (["--semester", "2016-1", "--size", "2", "--seed", "x", "--dry-run"], "x"),
        (["--semester", "2016-1", "--size", "2", "--seed", "1", "--user", "nobody", "--reason", "抽查"], "nobody"),
        (["--semester", "2016-1", "--size", "2", "--seed", "1"], "原因|理由"),
        (["--semester", "2016-1", "--size", "2", "--seed", "1", "--user", "county", "--reason", "抽查"], "自治区督导"),
    ],
)
def test_r28_the_command_refuses_bad_input_in_chinese(land, semester, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not SpotCheck.objects.exists()


# --- the admin --------------------------------------------------------------------------------------------------


def test_r28_the_region_inspector_draws_a_sample_in_the_admin_and_sees_its_pairings(land, semester, as_user):
    client = as_user("region")
    page = client.get("/admin/inspections/spotcheck/add/")
    assert page.status_code == 200
    assert 'name="_addanother"' not in page.content.decode()  # one button: saving draws and records
    data = admin_form_data(page)
    assert data["seed"] not in ("", None)  # a random seed, shown and kept
    data.update(semester=semester.pk, size=2, seed=77, reason="2016年秋季学期自治区抽查")
    response = client.post("/admin/inspections/spotcheck/add/", data, follow=True)
    spot_check = SpotCheck.objects.get()
    assert response.redirect_chain[-1][0] == f"/admin/inspections/spotcheck/{spot_check.pk}/change/"
    assert spot_check.drawn_by == land.users["region"] and spot_check.pairings.count() == 2
    expected, _none = spot_check_draw(semester=semester, size=2, seed=77, actor=SYSTEM, dry_run=True)
    assert sorted(spot_check.pairings.values_list("pk", flat=True)) == sorted(pks(expected))
    html = response.content.decode()
    assert "已用随机种子 77 抽取 2 个结对并记录。" in html
    for pairing in expected:
        assert pairing.recipient.name in html
    # Recording without a reason is refused on the page.
    data.update(reason="")
    response = client.post("/admin/inspections/spotcheck/add/", data)
    assert response.status_code == 200 and SpotCheck.objects.count() == 1


def test_r28_spot_check_samples_are_read_by_the_city_and_the_region_only(land, semester, as_user):
    spot_check_draw(semester=semester, size=2, seed=1, actor=SYSTEM, reason="抽查")
    spot_check = SpotCheck.objects.get()
    for role in ("city", "region"):
        client = as_user(role)
        assert client.get("/admin/inspections/spotcheck/").status_code == 200
        assert client.get(f"/admin/inspections/spotcheck/{spot_check.pk}/change/").status_code == 200
    assert as_user("city").get("/admin/inspections/spotcheck/add/").status_code == 403
    for role in ("county", "school"):
        assert as_user(role).get("/admin/inspections/spotcheck/").status_code == 403
    # A county inspector reads its county only: no sample of the region's, not even an empty list.
    client = as_user("inspector")
    assert client.get("/admin/inspections/spotcheck/").status_code == 403
    assert client.get(f"/admin/inspections/spotcheck/{spot_check.pk}/change/").status_code in (302, 403)


def test_r28_the_region_inspector_records_a_sampled_pairings_inspection_from_the_samples_page(land, semester, as_user):
    _sample, spot_check = spot_check_draw(semester=semester, size=1, seed=5, actor=SYSTEM, reason="抽查")
    drawn = spot_check.pairings.get()
    client = as_user("region")
    page = client.get(f"/admin/inspections/spotcheck/{spot_check.pk}/change/").content.decode()
    assert "尚未督导" not in page and "记录抽查督导" in page
    link = re.search(r'href="(/admin/inspections/inspection/add/\?[^"]+)"', page).group(1).replace("&amp;", "&")
    add = client.get(link)
    data = admin_form_data(add)
    assert data["level"] == Level.REGION_SPOT_CHECK and data["spot_check"] == str(spot_check.pk)
    assert data["pairing"] == str(drawn.pk) and "reviews" not in data
    data.update(date="2016-12-01", inspectors="自治区督学")
    response = client.post(link, data)
    assert response.status_code == 302, re.findall(r'class="errorlist[^>]*>(.*?)</ul>', response.content.decode())
    inspection = Inspection.objects.get()
    assert (inspection.spot_check, inspection.pairing, inspection.level) == (
        spot_check,
        drawn,
        Level.REGION_SPOT_CHECK,
    )
    page = client.get(f"/admin/inspections/spotcheck/{spot_check.pk}/change/").content.decode()
    assert f"/admin/inspections/inspection/{inspection.pk}/change/" in page and "记录抽查督导" not in page
    # The city reads the sample with its inspections.
    page = as_user("city").get(f"/admin/inspections/spotcheck/{spot_check.pk}/change/").content.decode()
    assert f"/admin/inspections/inspection/{inspection.pk}/change/" in page
