"""Account management for the city bureau: users with their role and unit."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import ReadOnlyPasswordHashWidget, UserChangeForm, UserCreationForm
from django.contrib.auth.models import Group, User
from django.utils.translation import gettext_lazy as _

from liuzhou_pairing.admin import ServiceErrorsMixin, VersionedInlineMixin, changed_forms, expected_version
from liuzhou_pairing.scope import scope_of

from .forms import LoginForm
from .models import Profile
from .services import account_save

# Says why a demo account is refused when DEBUG is off (see accounts.backends).
admin.site.login_form = LoginForm


class ProfileInline(VersionedInlineMixin, admin.StackedInline):
    model = Profile
    can_delete = False
    max_num = 1
    min_num = 1
    autocomplete_fields = ["county", "school"]
    readonly_fields = ["is_demo"]
    verbose_name_plural = _("role and unit")


class PasswordSetWidget(ReadOnlyPasswordHashWidget):
    """Say whether the account has a password, without the hash's algorithm, salt and digest."""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        usable = bool(value) and not value.startswith("!")
        context["summary"] = [{"label": _("A password is set.") if usable else _("No password is set.")}]
        return context


class AccountChangeForm(UserChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "password" in self.fields:
            self.fields["password"].widget = PasswordSetWidget()


class UserAdmin(ServiceErrorsMixin, BaseUserAdmin):
    """Users as the city bureau manages them: no superusers, no loose permissions, a role for everyone."""

    form = AccountChangeForm
    # Every account logs in with its password: no "password-based authentication" switch, and the role and unit
    # are given on the same page (Django's add page says they come after saving).
    add_form = UserCreationForm
    add_form_template = None
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["username", "password1", "password2"]})]
    inlines = [ProfileInline]
    list_display = ["username", "last_name", "first_name", "role", "unit", "is_active", "last_login"]
    list_filter = ["profile__role", "profile__county", "is_active"]
    search_fields = ["username", "first_name", "last_name", "email", "profile__school__name"]
    list_select_related = ["profile__county", "profile__school"]

    @admin.display(description=_("role"), ordering="profile__role")
    def role(self, obj: User) -> str:
        profile = getattr(obj, "profile", None)
        return profile.get_role_display() if profile else "—"

    @admin.display(description=_("county or school"))
    def unit(self, obj: User) -> str:
        profile = getattr(obj, "profile", None)
        return str(profile.county or profile.school or "—") if profile else "—"

    def _city(self, request) -> bool:
        return scope_of(request.user).city

    def has_module_permission(self, request):
        return self._city(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._city(request) and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return self._city(request) and super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        return self._city(request) and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        # Accounts are deactivated, not deleted: the history keeps who did what.
        return False

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser or obj is None:
            return fieldsets
        # City staff manage people and their roles; superuser status and loose permissions stay out of reach.
        return [
            (None, {"fields": ("username", "password")}),
            (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
            (_("Permissions"), {"fields": ("is_active",)}),
            (_("Important dates"), {"fields": ("last_login", "date_joined")}),
        ]

    def get_readonly_fields(self, request, obj=None):
        return ["last_login", "date_joined"] if obj else []

    def save_model(self, request, obj, form, change):
        # The account and its profile are saved together, by the service, in save_related.
        pass

    def save_related(self, request, form, formsets, change):
        profile_formset = formsets[0] if formsets else None
        profile, version = None, None
        if profile_formset is not None:
            for profile_form, instance in changed_forms(profile_formset):
                profile, version = instance, expected_version(profile_form)
            if profile is None and profile_formset.initial_forms:
                profile_form = profile_formset.initial_forms[0]
                profile, version = profile_form.instance, expected_version(profile_form)
        account_save(user=form.instance, profile=profile, actor=request.user, expected_version=version,
                     save_m2m=form.save_m2m)  # fmt: skip


admin.site.unregister(User)
admin.site.register(User, UserAdmin)
admin.site.unregister(Group)
