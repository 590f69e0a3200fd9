"""Logging in to the admin: throttling per client behind the reverse proxy, demo accounts refused in production."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import Profile
from liuzhou_pairing.actors import SYSTEM

pytestmark = pytest.mark.django_db

PASSWORD = "x-Strong-Pass-2016"
PROXY = "10.0.0.1"


def post_login(client, username: str, password: str, remote_addr: str, forwarded_for: str | None = None):
    headers = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client.post(reverse("admin:login"), {"username": username, "password": password}, **headers)


def fail_until_locked(client, remote_addr: str, forwarded_for: str | None = None) -> list[int]:
    return [post_login(client, "clerk", "wrong", remote_addr, forwarded_for).status_code
            for _ in range(settings.AXES_FAILURE_LIMIT)]  # fmt: skip


@pytest.fixture
def clerk(django_user_model):
    return django_user_model.objects.create_user("clerk", password=PASSWORD, is_staff=True)


def test_behind_the_proxy_one_client_failing_does_not_lock_out_another(client, clerk, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    locked = [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert fail_until_locked(client, PROXY, "203.0.113.5") == locked
    # Client A stays locked out, even with the right password ...
    assert post_login(client, "clerk", PASSWORD, PROXY, "203.0.113.5").status_code == 429
    # ... and a client that puts a forged entry before A's real address is still A.
    assert post_login(client, "clerk", PASSWORD, PROXY, "192.0.2.9, 203.0.113.5").status_code == 429
    # Client B, through the same proxy, logs in.
    assert post_login(client, "clerk", PASSWORD, PROXY, "203.0.113.6").status_code == 302


def test_a_forged_forwarded_for_from_outside_the_proxy_is_ignored(client, clerk, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    # A client that is not the proxy names a new address on every attempt: it is locked out all the same.
    statuses = [post_login(client, "clerk", "wrong", "198.51.100.7", f"203.0.113.{i}").status_code
                for i in range(settings.AXES_FAILURE_LIMIT)]  # fmt: skip
    assert statuses[-1] == 429
    assert post_login(client, "clerk", PASSWORD, "198.51.100.7", "203.0.113.77").status_code == 429
    assert post_login(client, "clerk", PASSWORD, "198.51.100.7").status_code == 429
    # Another address is not affected.
    assert post_login(client, "clerk", PASSWORD, "198.51.100.8").status_code == 302


def test_without_trusted_proxies_the_forwarded_for_header_is_ignored(client, clerk):
    assert settings.TRUSTED_PROXIES == []
    assert fail_until_locked(client, PROXY, "203.0.113.5")[-1] == 429
    assert post_login(client, "clerk", PASSWORD, PROXY, "203.0.113.6").status_code == 429


# --- Demo accounts ------------------------------------------------------------------------------------------

DEMO_USERNAMES = ["admin", "city", "rongshui", "rongshui_school", "inspector", "city_inspector", "region"]
REFUSED = "演示账号仅供本地开发模式使用，已被拒绝登录。"


@pytest.fixture
def demo_passwords(db, settings, tmp_path, monkeypatch) -> dict[str, str]:
    """Run setup_demo (with DEBUG on, as `make run` does) and return the printed password of each account."""
    import io
    import re

    from django.core.management import call_command

    settings.DEBUG = True
    settings.BASE_DIR = tmp_path
    monkeypatch.setattr("accounts.management.commands.setup_demo.Command.ensure_demo_data", lambda self: None)
    out = io.StringIO()
    call_command("setup_demo", stdout=out)
    settings.DEBUG = False
    return dict(re.findall(r"username: (\S+)\s+password: (\S+)", out.getvalue()))


def log_in(client, username: str, password: str):
    return client.post(reverse("admin:login"), {"username": username, "password": password})


def test_demo_accounts_are_refused_with_debug_off(demo_passwords):
    assert not settings.DEBUG
    assert sorted(demo_passwords) == sorted(DEMO_USERNAMES)
    for username, password in demo_passwords.items():
        client = Client()
        response = log_in(client, username, password)
        assert response.status_code == 200, username
        assert REFUSED in response.content.decode(), username
        assert "_auth_user_id" not in client.session, username


def test_a_wrong_password_of_a_demo_account_gets_the_usual_message(client, demo_passwords):
    response = log_in(client, "city", "wrong-" + demo_passwords["city"])
    content = response.content.decode()
    assert response.status_code == 200
    assert REFUSED not in content and "请输入一个正确的" in content


def test_demo_accounts_log_in_with_debug_on_and_their_sessions_end_when_it_is_off(demo_passwords, settings):
    settings.DEBUG = True
    clients = {username: Client() for username in DEMO_USERNAMES}
    for username, client in clients.items():
        assert log_in(client, username, demo_passwords[username]).status_code == 302, username
        assert client.get(reverse("admin:index")).status_code == 200, username
    settings.DEBUG = False
    for username, client in clients.items():
        response = client.get(reverse("admin:index"))
        assert response.status_code == 302 and response.url.startswith(reverse("admin:login")), username


def test_a_demo_session_made_with_force_login_is_dropped_with_debug_off(client, demo_passwords, django_user_model):
    client.force_login(django_user_model.objects.get(username="admin"))
    assert client.get(reverse("admin:index")).status_code == 302


def test_a_real_superuser_called_admin_logs_in_with_debug_off(client, django_user_model):
    from accounts.choices import Role
    from accounts.models import Profile

    admin = django_user_model.objects.create_superuser("admin", "admin@example.invalid", PASSWORD)
    assert log_in(client, "admin", PASSWORD).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
    # With a profile too, as long as it is not a demo account's.
    Profile.objects.create(user=admin, role=Role.CITY)
    client.logout()
    assert log_in(client, "admin", PASSWORD).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_accounts_made_with_create_user_are_not_demo_accounts(client, db):
    from accounts.services import user_create

    user, password = user_create(actor=SYSTEM, username="city", role="city")
    assert not user.profile.is_demo
    assert log_in(client, "city", password).status_code == 302


def test_setup_demo_leaves_a_real_account_with_a_demo_name_alone(
    db, settings, tmp_path, monkeypatch, django_user_model
):
    import io

    from django.core.management import call_command

    real_admin = django_user_model.objects.create_superuser("admin", "admin@example.invalid", PASSWORD)
    real_city = django_user_model.objects.create_user("city", password=PASSWORD)
    settings.DEBUG = True
    settings.BASE_DIR = tmp_path
    monkeypatch.setattr("accounts.management.commands.setup_demo.Command.ensure_demo_data", lambda self: None)
    err = io.StringIO()
    call_command("setup_demo", stdout=io.StringIO(), stderr=err)
    assert "'admin'" in err.getvalue() and "'city'" in err.getvalue()
    for user in (real_admin, real_city):
        user.refresh_from_db()
        assert user.check_password(PASSWORD)
        assert not Profile.objects.filter(user=user, is_demo=True).exists()
    assert Profile.objects.filter(user__username="rongshui", is_demo=True).exists()
