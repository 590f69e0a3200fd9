"""Roles of the users of the system: defined in the kernel, which scopes every query by them."""

from liuzhou_pairing.scope import Role

__all__ = ["Role"]
