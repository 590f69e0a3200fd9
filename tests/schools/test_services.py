import datetime

import pytest
from django.core.exceptions import ValidationError

from liuzhou_pairing.actors import SYSTEM
from schools.choices import SchoolStatus, SchoolType
from schools.models import School
from schools.services import school_close, school_create, school_update
from tests.factories import SchoolFactory, TownshipFactory, VillageFactory

pytestmark = pytest.mark.django_db


def test_school_create_validates_the_hierarchy_and_writes_nothing_on_error():
    village = VillageFactory()
    elsewhere = TownshipFactory()
    with pytest.raises(ValidationError):
        school_create(
            actor=SYSTEM,
            name="新学校",
            school_type=SchoolType.PRIMARY,
            county=elsewhere.county,
            township=elsewhere,
            village=village,
        )
    assert not School.objects.filter(name="新学校").exists()


def test_school_create_saves_a_valid_school_with_history(django_user_model):
    user = django_user_model.objects.create(username="clerk", is_superuser=True)
    village = VillageFactory()
    school = school_create(
        actor=user,
        name="新学校",
        school_type=SchoolType.PRIMARY,
        county=village.township.county,
        township=village.township,
        village=village,
        contact_phone="0772-2815945",
    )
    assert school.pk
    assert school.history.get().history_user == user


def test_school_update_refuses_a_bad_phone_and_keeps_the_old_one():
    school = SchoolFactory(contact_phone="0772-2815945")
    with pytest.raises(ValidationError) as exc:
        school_update(school=school, actor=SYSTEM, contact_phone="12345")
    assert "contact_phone" in exc.value.message_dict
    school.refresh_from_db()
    assert school.contact_phone == "0772-2815945"


def test_school_update_refuses_unknown_fields():
    with pytest.raises(TypeError):
        school_update(school=SchoolFactory(), actor=SYSTEM, colour="red")


def test_closing_a_school_keeps_its_record_and_history():
    school = SchoolFactory()
    school_close(school=school, actor=SYSTEM, on=datetime.date(2018, 7, 1))
    school.refresh_from_db()
    assert school.status == SchoolStatus.CLOSED
    assert school.status_date == datetime.date(2018, 7, 1)
    assert school.history.count() == 2


def test_merging_records_the_school_merged_into():
    target = SchoolFactory()
    school = SchoolFactory()
    school_close(school=school, actor=SYSTEM, on=datetime.date(2019, 9, 1), merged_into=target)
    school.refresh_from_db()
    assert school.status == SchoolStatus.MERGED
    assert school.merged_into == target
    assert list(target.merged_schools.all()) == [school]


def test_a_closed_school_cannot_be_closed_again_or_receive_a_merger():
    closed = SchoolFactory()
    school_close(school=closed, actor=SYSTEM, on=datetime.date(2018, 7, 1))
    with pytest.raises(ValidationError, match="已撤销或合并"):
        school_close(school=closed, actor=SYSTEM, on=datetime.date(2018, 8, 1))
    with pytest.raises(ValidationError, match="只能并入正常办学"):
        school_close(school=SchoolFactory(), actor=SYSTEM, on=datetime.date(2018, 8, 1), merged_into=closed)
