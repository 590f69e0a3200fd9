import datetime

import pytest

from accounts.services import user_create
from activities.choices import Form, Kind, Post
from activities.models import Activity, Staff
from activities.services import activity_save, staff_save
from liuzhou_pairing.actors import SYSTEM
from pairings.choices import Measure
from pairings.services import semesters_ensure
from tests.accounts.conftest import PASSWORD

# A day inside the 2016—2017 first semester (1 Sep 2016 – 28 Feb 2017, entries close 30 Mar 2017).
TODAY = datetime.date(2016, 10, 20)
AFTER_CLOSE = datetime.date(2017, 4, 1)


class Acts:
    """The land of tests/accounts with its semesters, a user for the helper school of the own county's pairing
    (the land's school user is its recipient), a user of the other county, and staff on both sides."""

    def __init__(self, the_land):
        place = the_land
        self.land = the_land
        semesters_ensure(cycle=place.cycle, actor=SYSTEM)
        self.pairing = place.own_pairing  # 甲镇中心小学 helps 甲村小学, both in 甲县
        self.helper, self.recipient = self.pairing.helper, self.pairing.recipient
        self.users = dict(place.users)
        self.users["helper"] = user_create(
            actor=SYSTEM, username="helper", role="school", school=self.helper, password=PASSWORD
        )[0]
        self.users["recipient"] = place.users["school"]
        self.users["other_county"] = user_create(
            actor=SYSTEM, username="other_county", role="county", county=place.other, password=PASSWORD
        )[0]
        self.users["district"] = place.district_user
        self.helper_key = staff_save(staff=Staff(school=self.helper, name="李骨干", post=Post.KEY_STAFF), actor=SYSTEM)
        self.helper_teacher = staff_save(
            staff=Staff(school=self.helper, name="王老师", post=Post.TEACHER), actor=SYSTEM
        )
        self.recipient_key = staff_save(
            staff=Staff(school=self.recipient, name="张主任", post=Post.LEADER), actor=SYSTEM
        )
        self.other_staff = staff_save(
            staff=Staff(school=place.other_pairing.helper, name="赵老师", post=Post.TEACHER), actor=SYSTEM
        )

    def activity(self, actor="helper", participants=None, today=TODAY, **fields):
        values = {
            "pairing": self.pairing,
            "date": datetime.date(2016, 10, 10),
            "form": Form.TEACHING_DELIVERY,
            "measure": Measure.TEACHER_DEVELOPMENT,
            "kind": Kind.TEACHING_DELIVERY,
            "teachers_reached": 12,
            "students_reached": 40,
            "description": "送教下乡：三年级数学示范课",
        }
        values.update(fields)
        user = self.users[actor] if isinstance(actor, str) else actor
        return activity_save(
            activity=Activity(**values),
            participants=[self.helper_teacher] if participants is None else participants,
            actor=user,
            today=today,
        )


@pytest.fixture
def acts(request):
    return Acts(request.getfixturevalue("land"))


# The land of tests/accounts (two counties, a paired district, a user per role) serves these tests too.
from tests.accounts.conftest import as_user, land  # noqa: E402, F401
