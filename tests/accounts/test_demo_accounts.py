"""generate_demo replaces the demo schools; the account of a demo school survives it, back on its school."""

import io

import pytest
from django.core.management import call_command

from accounts.models import Profile
from accounts.services import user_create
from liuzhou_pairing.actors import SYSTEM
from schools.models import School

pytestmark = pytest.mark.django_db


def test_a_demo_school_account_keeps_its_school_through_generate_demo():
    call_command("load_liuzhou", stdout=io.StringIO())
    call_command("generate_demo", seed=1, stdout=io.StringIO())
    school = School.objects.demo().order_by("name").first()
    user, _ = user_create(actor=SYSTEM, username="demo_school", role="school", school=school, password="x-Strong-2016")
    call_command("generate_demo", seed=1, stdout=io.StringIO())  # before: ProtectedError, the school has staff
    profile = Profile.objects.get(user=user)
    assert profile.school.name == school.name and profile.school.is_demo
    assert not School.objects.filter(pk=school.pk).exists()  # a new school of the same name


def test_an_account_whose_demo_school_does_not_come_back_is_deactivated_not_left_on_a_real_school():
    from schools.services import SchoolBatch

    call_command("load_liuzhou", stdout=io.StringIO())
    county = School.objects.real().exclude(county=None).first().county
    batch = SchoolBatch(actor=SYSTEM)
    batch.add(School(name="【演示】下次不再生成的学校", school_type="primary", county=county, is_demo=True))
    (school,) = batch.save()
    user, _ = user_create(actor=SYSTEM, username="gone_school", role="school", school=school, password="x-Strong-2016")
    call_command("generate_demo", seed=1, stdout=io.StringIO())
    user.refresh_from_db()
    assert not user.is_active
    assert Profile.history.filter(user=user).count() >= 2  # the moves are in the profile's history
