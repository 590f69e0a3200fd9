"""Accounts: create_user, groups, login throttling, session expiry, demo accounts."""

import io

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from accounts.choices import Role
from accounts.models import Profile
from accounts.services import GROUP_NAMES, ROLE_PERMISSIONS

pytestmark = pytest.mark.django_db


def create_user(*args: str) -> str:
    out = io.StringIO()
    call_command("create_user", *args, stdout=out)
    return out.getvalue()


def test_every_role_is_a_group_with_its_permissions():
    for role, names in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=GROUP_NAMES[role])
        have = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert have == names, role
    assert "pairings.change_city_fixed_pairing" in ROLE_PERMISSIONS[Role.CITY]
    assert not any("change_city_fixed" in p for role in Role if role != Role.CITY for p in ROLE_PERMISSIONS[role])


def test_create_user_by_exact_county_name_and_generated_password(liuzhou, django_user_model):
    output = create_user("--role", "county", "--county", "融水县", "--username", "rs")
    user = django_user_model.objects.get(username="rs")
    assert user.profile.county.name == "融水苗族自治县" and user.is_staff
    assert user.groups.get().name == "县（区）教育局"
    password = output.split("password: ")[1].strip()
    assert user.check_password(password)


def test_create_user_for_a_school(liuzhou, django_user_model):
    create_user("--role", "school", "--school", "融水中学", "--username", "rszx", "--password", "Rongshui-2016-zx")
    profile = Profile.objects.get(user__username="rszx")
    assert (profile.role, profile.school.name) == ("school", "融水中学")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "county", "--county", "不存在县", "--username", "a"], "未知的县（区）“不存在县”"),
        (["--role", "county", "--username", "a"], "--county is required"),
        (["--role", "school", "--school", "不存在的学校", "--username", "a"], "未知的学校“不存在的学校”"),
        (["--role", "city", "--county", "融水县", "--username", "a"], "--county does not apply"),
        (["--role", "city", "--username", "a", "--password", "123"], "密码"),
    ],
)
def test_create_user_refuses_unknown_names_and_weak_passwords(liuzhou, django_user_model, args, message):
    with pytest.raises(CommandError, match=message):
        create_user(*args)
    assert not django_user_model.objects.filter(username="a").exists()


def test_create_user_refuses_an_ambiguous_school_name(liuzhou):
    from tests.factories import SchoolFactory

    SchoolFactory(name="重名学校甲", school_code="4502251234")
    SchoolFactory(name="4502251234", school_code="")
    with pytest.raises(CommandError, match="“4502251234”"):
        create_user("--role", "school", "--school", "4502251234", "--username", "b")


def test_profile_must_match_its_role(liuzhou):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        Profile(role=Role.COUNTY).full_clean(exclude=["user"])
    with pytest.raises(ValidationError):
        Profile(role=Role.CITY, county_id=1).full_clean(exclude=["user"])


def test_login_page_is_chinese_and_repeated_failures_lock_the_account(client, django_user_model):
    django_user_model.objects.create_user("clerk", password="x-Strong-Pass-2016", is_staff=True)
    url = reverse("admin:login")
    assert "用户名" in client.get(url).content.decode()
    statuses = [client.post(url, {"username": "clerk", "password": "wrong"}).status_code
                for _ in range(settings.AXES_FAILURE_LIMIT)]  # fmt: skip
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    locked = client.post(url, {"username": "clerk", "password": "x-Strong-Pass-2016"})
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.content.decode()


def test_a_correct_login_works(client, django_user_model):
    django_user_model.objects.create_user("clerk", password="x-Strong-Pass-2016", is_staff=True)
    response = client.post(reverse("admin:login"), {"username": "clerk", "password": "x-Strong-Pass-2016"})
    assert response.status_code == 302


def test_sessions_expire_after_inactivity():
    assert settings.SESSION_SAVE_EVERY_REQUEST
    assert 0 < settings.SESSION_COOKIE_AGE <= 8 * 3600


def test_setup_demo_creates_one_account_per_role(db, django_user_model, settings, tmp_path, monkeypatch):
    from accounts.management.commands import setup_demo

    settings.DEBUG = True
    settings.BASE_DIR = tmp_path
    monkeypatch.setattr("accounts.management.commands.setup_demo.Command.ensure_demo_data", lambda self: None)
    call_command("load_liuzhou", stdout=io.StringIO())
    out = io.StringIO()
    call_command("setup_demo", stdout=out)
    roles = dict(Profile.objects.values_list("user__username", "role"))
    assert roles == {"admin": Role.CITY, **{username: role for username, role, *_ in setup_demo.DEMO_ACCOUNTS}}
    # Every account is marked as a demo account, the superuser too: refused at login when DEBUG is off.
    assert set(Profile.objects.filter(is_demo=True).values_list("user__username", flat=True)) == set(roles)
    assert Profile.objects.get(user__username="rongshui").county.name == "融水苗族自治县"
    assert Profile.objects.get(user__username="rongshui_school").school.county.name == "融水苗族自治县"
    assert django_user_model.objects.get(username="admin").is_superuser
    printed = out.getvalue()
    for username in roles:
        assert f"username: {username}" in printed
    # A second run prints the same accounts and changes nothing.
    again = io.StringIO()
    call_command("setup_demo", stdout=again)
    assert again.getvalue().split("Demo accounts")[1] == printed.split("Demo accounts")[1]
    # Accounts of an older run, not marked yet, are made again, marked (with new passwords).
    Profile.objects.filter(user__username="region").update(is_demo=False)
    upgraded = io.StringIO()
    call_command("setup_demo", stdout=upgraded)
    assert upgraded.getvalue().split("Demo accounts")[1] != printed.split("Demo accounts")[1]
    assert Profile.objects.filter(is_demo=True).count() == len(roles)


def test_setup_demo_belongs_to_accounts_not_to_the_kernel():
    from django.core.management import get_commands

    assert get_commands()["setup_demo"] == "accounts"


def test_setup_demo_refuses_to_run_in_production(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("setup_demo", stdout=io.StringIO())
