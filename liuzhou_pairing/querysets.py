"""Scoping shared by reference data (areas, cycles, district pairings): everyone with a role reads it,
only the city bureau changes it."""

from typing import Any

from django.db import models

from liuzhou_pairing.scope import scope_of


class ReferenceQuerySet(models.QuerySet):
    def for_user(self, user: Any) -> "ReferenceQuerySet":
        """Return what `user` may see: all of it for any user with a role."""
        return self.none() if scope_of(user).nothing else self

    def editable_by(self, user: Any) -> "ReferenceQuerySet":
        """Return what `user` may change: all of it for the city bureau, nothing for others."""
        return self if scope_of(user).city else self.none()

    def in_area_of(self, user: Any) -> "ReferenceQuerySet":
        """Return what lies in `user`'s area after a write: the same as what it may change."""
        return self.editable_by(user)
