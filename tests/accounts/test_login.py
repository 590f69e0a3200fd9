"""Logging in to the admin: throttling per client behind the reverse proxy, demo accounts refused in production."""

import pytest
from django.conf import settings
from django.urls import reverse

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
