"""Admin pieces shared by every app: scoping by role, and spreadsheet import/export."""

from typing import Any

from django.contrib import admin
from import_export.admin import ImportExportModelAdmin as BaseImportExportModelAdmin
from import_export.formats.base_formats import CSV, XLSX

from liuzhou_pairing.scope import scope_of


class ScopedAdminMixin:
    """Serve each user exactly the objects its role may see (`Model.objects.for_user`) and change
    (`Model.objects.editable_by`). An object outside the scope is treated as missing; nothing is deleted."""

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user)

    def in_scope(self, request, obj: Any, *, edit: bool) -> bool:
        manager = self.model._default_manager
        queryset = manager.editable_by(request.user) if edit else manager.for_user(request.user)
        return queryset.filter(pk=obj.pk).exists()

    def has_view_permission(self, request, obj=None):
        allowed = super().has_view_permission(request, obj)
        return allowed and (obj is None or obj.pk is None or self.in_scope(request, obj, edit=False))

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj) and scope_of(request.user).writes
        return allowed and (obj is None or obj.pk is None or self.in_scope(request, obj, edit=True))

    def has_add_permission(self, request, *args):
        return super().has_add_permission(request, *args) and scope_of(request.user).writes

    def has_delete_permission(self, request, obj=None):
        # Records are closed, ended or returned, never deleted, so that the history of the work stays.
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        manager = db_field.related_model._default_manager
        if "queryset" not in kwargs and hasattr(manager, "for_user"):
            kwargs["queryset"] = manager.for_user(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ActorFormMixin:
    """Give the admin's form the requesting user as `actor`, for forms whose checks depend on who acts."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)

        class ActorForm(form_class):
            def __init__(self, *args, **kw):
                kw.setdefault("actor", request.user)
                super().__init__(*args, **kw)

        return ActorForm


class ScopedInlineMixin:
    """Inlines follow the scope of their model as the parent admin does."""

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj) and scope_of(request.user).writes
        return allowed and (obj is None or self._parent_editable(request, obj))

    def has_add_permission(self, request, obj=None):
        allowed = super().has_add_permission(request, obj) and scope_of(request.user).writes
        return allowed and (obj is None or self._parent_editable(request, obj))

    def _parent_editable(self, request, parent) -> bool:
        return parent._meta.model._default_manager.editable_by(request.user).filter(pk=parent.pk).exists()


class ImportExportModelAdmin(ScopedAdminMixin, BaseImportExportModelAdmin):
    """Scoped admin with xlsx and csv import/export (the formats county clerks use). Resources get the
    requesting user, so that imports refuse rows outside the user's scope and record who made them."""

    formats = [XLSX, CSV]

    def get_import_resource_kwargs(self, request, **kwargs):
        return {**super().get_import_resource_kwargs(request, **kwargs), "user": request.user}

    def get_export_resource_kwargs(self, request, **kwargs):
        return {**super().get_export_resource_kwargs(request, **kwargs), "user": request.user}

    def has_import_permission(self, request):
        return super().has_import_permission(request) and scope_of(request.user).writes


class ScopedModelAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """A plain scoped admin."""
