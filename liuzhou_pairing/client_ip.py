"""The address of the client of a request, for django-axes' login throttling (AXES_CLIENT_IP_CALLABLE).

Behind the reverse proxy every request comes from the proxy's address (REMOTE_ADDR), so throttling by it
would lock a username for everyone. X-Forwarded-For names the client, but any client can send that header:
it is trusted only when the request comes from one of `settings.TRUSTED_PROXIES`, and then only the part
our proxies appended. Each proxy appends the address it received the request from, so the right-most entry
that is not itself a trusted proxy is the client; anything left of it may be forged by the client.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _address(value: str) -> Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: from X-Forwarded-For when REMOTE_ADDR is a trusted proxy, else REMOTE_ADDR."""
    remote = request.META.get("REMOTE_ADDR")
    trusted = {_address(proxy) for proxy in settings.TRUSTED_PROXIES} - {None}
    if not remote or _address(remote) not in trusted:
        return remote
    for entry in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _address(entry)
        if address is None:
            break  # our proxy writes addresses; anything else means the header cannot be read: fall back
        if address not in trusted:
            return str(address)
    return remote
