"""The home page counts its warnings and late agreements in the database: the same figures as the report
selectors behind its links, in a fixed number of queries."""

import datetime

import pytest

from pairings.choices import ArrangedBy, PairingStatus
from pairings.home import late_agreement_counts, pairing_home_items, warning_counts
from pairings.models import Agreement, Pairing
from pairings.selectors import late_agreements, warnings_by_county
from tests.accounts.conftest import land  # noqa: F401
from tests.factories import SchoolFactory

ROLES = ["city", "county", "school", "inspector", "region", "district"]


def copy(pairing, **changes):
    pairing = Pairing.objects.get(pk=pairing.pk)
    pairing.pk = None
    for name, value in changes.items():
        setattr(pairing, name, value)
    return Pairing.objects.bulk_create([pairing])[0]


@pytest.fixture
def varied(land):  # noqa: F811
    """The land with every case the counts tell apart: warnings on live, ended and city-arranged pairings; an
    agreement signed on time, one signed late, one unsigned, a pairing without one, an ended pairing."""
    deadline = land.cycle.agreement_deadline
    Pairing.objects.filter(pk__in=[land.own_pairing.pk, land.cross_pairing.pk]).update(warnings=["W1"])
    Agreement.objects.filter(pk=land.other_agreement.pk).update(
        signed_on=deadline + datetime.timedelta(days=3), helper_signatory="甲", recipient_signatory="乙"
    )
    # A city arrangement with a warning, grouped under the recipient's county; one for a city-administered
    # recipient (no county); an ended pairing with a warning. Written directly: only the counts are under test.
    city_school = SchoolFactory(name="市直小学", county=None, is_city_administered=True)
    for recipient in (land.other_central, city_school):
        pairing = copy(
            land.cross_pairing,
            recipient=recipient,
            arranged_by=ArrangedBy.CITY,
            arranged_by_county=None,
            warnings=["W2"],
        )
        Agreement.objects.create(pairing=pairing, signed_on=deadline, helper_signatory="甲", recipient_signatory="乙")
    copy(
        land.other_pairing,
        helper=land.own_central,
        status=PairingStatus.ENDED,
        ended_on=deadline,
        end_reason="x",
        warnings=["W3"],
    )
    return land


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_counts_equal_the_selectors(varied, role):
    user = varied.district_user if role == "district" else varied.users[role]
    cycle = varied.cycle
    groups = warnings_by_county(cycle=cycle, user=user)
    assert warning_counts(cycle=cycle, user=user) == [(g.county, len(g.pairings)) for g in groups]
    for today in (cycle.agreement_deadline, cycle.agreement_deadline + datetime.timedelta(days=1)):
        rows = late_agreements(cycle=cycle, user=user, today=today)
        expected = (len(rows), sum(row.unsigned for row in rows))
        assert late_agreement_counts(cycle=cycle, user=user, today=today) == expected


@pytest.mark.django_db
def test_the_cases_are_there(varied):
    """The data above tells the counts apart (a city user sees every case)."""
    city = varied.users["city"]
    counts = dict(warning_counts(cycle=varied.cycle, user=city))
    assert counts[None] == 1 and counts[varied.own] == 1 and counts[varied.district] == 1 and counts[varied.other]
    late = varied.cycle.agreement_deadline + datetime.timedelta(days=1)
    assert late_agreement_counts(cycle=varied.cycle, user=city, today=late) == (3, 2)
    assert late_agreement_counts(cycle=varied.cycle, user=city, today=varied.cycle.agreement_deadline) == (1, 0)


@pytest.mark.django_db
def test_the_city_home_counts_in_a_fixed_number_of_queries(varied, django_assert_max_num_queries):
    city = varied.users["city"]
    today = varied.cycle.agreement_deadline + datetime.timedelta(days=1)
    with django_assert_max_num_queries(2):
        warning_counts(cycle=varied.cycle, user=city)
    with django_assert_max_num_queries(1):
        late_agreement_counts(cycle=varied.cycle, user=city, today=today)
    warnings = next(item for item in pairing_home_items(user=city, today=today) if "/warnings/" in item.url)
    assert warnings.count == sum(n for _name, n in warnings.details) == 4
