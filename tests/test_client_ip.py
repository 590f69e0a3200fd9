"""The client address django-axes throttles logins by: X-Forwarded-For only from a trusted proxy."""

import pytest
from django.conf import settings
from django.test import RequestFactory

from liuzhou_pairing.client_ip import client_ip

PROXY = "10.0.0.1"


def request(remote_addr: str | None, forwarded_for: str | None = None):
    meta = {"REMOTE_ADDR": remote_addr} if remote_addr is not None else {}
    if forwarded_for is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded_for
    req = RequestFactory().get("/", **meta)
    if remote_addr is None:
        del req.META["REMOTE_ADDR"]
    return req


def test_axes_asks_this_function():
    assert settings.AXES_CLIENT_IP_CALLABLE == "liuzhou_pairing.client_ip.client_ip"


def test_nothing_is_trusted_by_default():
    assert settings.TRUSTED_PROXIES == []
    assert client_ip(request("198.51.100.7", "203.0.113.5")) == "198.51.100.7"


@pytest.mark.parametrize(
    ("remote_addr", "forwarded_for", "client"),
    [
        # From the proxy: the address it appended.
        (PROXY, "203.0.113.5", "203.0.113.5"),
        # A client's own (forged) entries are left of what the proxy appended.
        (PROXY, "1.2.3.4, 203.0.113.5", "203.0.113.5"),
        (PROXY, "1.2.3.4,203.0.113.5", "203.0.113.5"),
        # Through two trusted proxies: the right-most entry that is not a trusted proxy.
        (PROXY, "1.2.3.4, 203.0.113.5, 10.0.0.2", "203.0.113.5"),
        (PROXY, "2001:db8::5, 10.0.0.2", "2001:db8::5"),
        # From the proxy without a usable header: the proxy's address (safe: shared, not chosen by the client).
        (PROXY, None, PROXY),
        (PROXY, "", PROXY),
        (PROXY, "10.0.0.2", PROXY),
        (PROXY, "1.2.3.4, not-an-address", PROXY),
        # From anyone else the header is ignored: a client cannot choose its address.
        ("198.51.100.7", "203.0.113.5", "198.51.100.7"),
        ("198.51.100.7", "10.0.0.1", "198.51.100.7"),
        ("198.51.100.7", None, "198.51.100.7"),
        (None, "203.0.113.5", None),
    ],
)
def test_client_address(settings, remote_addr, forwarded_for, client):
    settings.TRUSTED_PROXIES = [PROXY, "10.0.0.2"]
    assert client_ip(request(remote_addr, forwarded_for)) == client
