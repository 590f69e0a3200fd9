"""The admin login form: says why a demo account is refused instead of "wrong password"."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .backends import demo_refused


class LoginForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "demo_account": _("Demo accounts may only be used in local development mode; this login was refused."),
    }

    def get_invalid_login_error(self) -> ValidationError:
        if self._demo_login_refused():
            return ValidationError(self.error_messages["demo_account"], code="demo_account")
        return super().get_invalid_login_error()

    def _demo_login_refused(self) -> bool:
        """The right password of an active demo account, refused by the backend because DEBUG is off. Anything
        else (a wrong password, a lockout by django-axes) keeps the usual message."""
        if getattr(self.request, "axes_locked_out", False):
            return False
        user_model = get_user_model()
        username = self.cleaned_data.get("username")
        try:
            user = user_model._default_manager.select_related("profile").get(**{user_model.USERNAME_FIELD: username})
        except user_model.DoesNotExist:
            return False
        return demo_refused(user) and user.is_active and user.check_password(self.cleaned_data.get("password"))
