"""Authentication: Django's model backend, refusing demo accounts outside local development."""

from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


def demo_refused(user: Any) -> bool:
    """Whether `user` is a demo account (made by setup_demo, with a printed password) while DEBUG is off."""
    if settings.DEBUG:
        return False
    profile = getattr(user, "profile", None)
    return bool(profile is not None and profile.is_demo)


class AccountBackend(ModelBackend):
    """ModelBackend that refuses demo accounts when DEBUG is off, at login and for an existing session alike
    (ModelBackend.get_user asks `user_can_authenticate` on every request)."""

    def user_can_authenticate(self, user: Any) -> bool:
        return super().user_can_authenticate(user) and not demo_refused(user)

    def get_user(self, user_id: Any) -> Any:
        # The profile comes with the user: no query of its own, and scoping reads it next anyway.
        try:
            user = get_user_model()._default_manager.select_related("profile").get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    # The profile is read synchronously; the async variants run the synchronous ones in a thread.
    async def aauthenticate(self, request: Any, username: str | None = None, password: str | None = None, **kwargs):
        return await sync_to_async(self.authenticate)(request, username, password, **kwargs)

    async def aget_user(self, user_id: Any) -> Any:
        return await sync_to_async(self.get_user)(user_id)
