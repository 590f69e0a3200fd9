import datetime

import pytest

from accounts.services import user_create
from activities.liuzhou import norms_ensure
from inspections.choices import ItemResult, Level, Rating
from inspections.liuzhou import checklist_ensure
from inspections.models import Inspection
from inspections.services import inspection_item_save, inspection_save, inspection_sign, spot_check_draw
from liuzhou_pairing.actors import SYSTEM
from pairings.models import Pairing, Semester
from tests.accounts.conftest import PASSWORD

DAY = datetime.date(2016, 12, 1)


class Insp:
    """The activities' land (tests/activities) with the plan's norms and checklist, the semester 2016-1, and a
    city-wide inspector beside the land's county inspector and region inspector."""

    def __init__(self, the_acts):
        self.acts = the_acts
        self.land = the_acts.land
        norms_ensure(cycle=self.land.cycle)
        checklist_ensure()
        self.semester = Semester.objects.get(cycle=self.land.cycle, academic_year=2016, term=1)
        self.users = dict(the_acts.users)
        self.users["county_inspector"] = self.users["inspector"]
        self.users["city_inspector"] = user_create(
            actor=SYSTEM, username="city_inspector", role="inspector", password=PASSWORD
        )[0]

    def inspection(self, actor="county_inspector", level=Level.COUNTY_SELF, **fields):
        values = {"level": level, "semester": self.semester, "date": DAY, "inspectors": "王督学"}
        if not {"county", "school", "pairing"} & set(fields):
            values["county"] = self.land.own
        values.update(fields)
        user = self.users[actor] if isinstance(actor, str) else actor
        return inspection_save(inspection=Inspection(**values), actor=user)

    def sample(self, size=None, seed=1):
        """A recorded spot-check sample of the semester (all its active pairings unless `size` says fewer)."""
        size = size or Pairing.objects.active_in(self.semester).count()
        return spot_check_draw(semester=self.semester, size=size, seed=seed, actor=SYSTEM, reason="抽查")[1]

    def judge_all(self, inspection, actor="county_inspector", result=ItemResult.PASS, **fields):
        user = self.users[actor] if isinstance(actor, str) else actor
        for item in inspection.items.all():
            item.result = result
            for name, value in fields.items():
                setattr(item, name, value)
            inspection_item_save(item=item, actor=user)

    def signed(self, actor="county_inspector", **fields):
        return self.sign(self.inspection(actor=actor, **fields), actor=actor)

    def sign(self, inspection, actor="county_inspector", rating=Rating.GOOD):
        """Judge every item of a draft (findings are recorded while it is one), rate it and sign it."""
        self.judge_all(inspection, actor=actor)
        inspection.refresh_from_db()
        inspection.rating = rating
        user = self.users[actor] if isinstance(actor, str) else actor
        inspection = inspection_save(inspection=inspection, actor=user)
        return inspection_sign(inspection=inspection, actor=user)


@pytest.fixture
def insp(request):
    return Insp(request.getfixturevalue("acts"))


from tests.accounts.conftest import as_user, land  # noqa: E402, F401
from tests.activities.conftest import acts  # noqa: E402, F401
