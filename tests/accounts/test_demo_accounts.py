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
