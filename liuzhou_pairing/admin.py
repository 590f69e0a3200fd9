"""Admin pieces shared by every app: scoping by role, and spreadsheet import/export."""

from collections.abc import Callable, Iterator
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.views.main import PAGE_VAR, ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connections, transaction
from django.db.models import QuerySet
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy
from import_export.admin import ImportExportModelAdmin as BaseImportExportModelAdmin
from import_export.formats.base_formats import CSV, XLSX

from .access import NotAllowed
from .exports import ExportMixin
from .history import ReadableChanges
from .imports import ImportMixin
from .scope import scope_of


def run_each(model_admin, request, rows, step: Callable[[Any], Any], done_message: Callable[[int], str]) -> int:
    """Run `step` on each row in a transaction of its own (an admin action over the selected rows, or a button on
    one row): a refused row is named with its reason and changes nothing; the rest go through. Returns how many went
    through, after saying so."""
    done = 0
    for row in rows:
        try:
            with transaction.atomic():
                step(row)
            done += 1
        except (NotAllowed, ValidationError) as error:
            text = "；".join(error.messages) if isinstance(error, ValidationError) else str(error)
            model_admin.message_user(request, f"{row}：{text}", messages.ERROR)
    if done:
        model_admin.message_user(request, done_message(done), messages.SUCCESS)
    return done


# (app label, model name, field name) → the queryset a user may choose from in that autocomplete field, for
# choices wider than what the user may see (a county names its paired county's schools in a pairing), or narrowed
# by other fields of the form (a pairing's schools follow its stage). Called with the user and the request's query
# parameters, which carry the form fields a widget forwards (`forward_to_autocomplete`). Each app registers its own
# in AppConfig.ready(), so that the admin of a lower app need not import a higher one.
AUTOCOMPLETE_CHOICES: dict[tuple[str, str, str], Callable[[Any, Any], Any]] = {}


def register_autocomplete_choices(app_label: str, model_name: str, field_name: str, choices: Callable) -> None:
    AUTOCOMPLETE_CHOICES[(app_label, model_name, field_name)] = choices


def forward_to_autocomplete(formfield, *names: str):
    """Make the autocomplete widget of `formfield` send the current values of the form fields `names` with each
    search (liuzhou_pairing/autocomplete_forward.js), for the choices registered above to narrow by."""
    widget = getattr(formfield.widget, "widget", formfield.widget)  # inside the admin's related-field wrapper
    widget.attrs["data-forward"] = " ".join(names)
    return formfield


AUTOCOMPLETE_FORWARD_JS = ["admin/js/jquery.init.js", "liuzhou_pairing/autocomplete_forward.js"]


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

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # A history version's page only shows it. django-simple-history would save a POST to it without asking
        # for change permission or the services, and reverting is off (SIMPLE_HISTORY_REVERT_DISABLED).
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_historical_record_context_helper(self, request, historical_record):
        # django-simple-history's hook: each change on the history page as a user reads it.
        return ReadableChanges(self.model, historical_record)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        manager = db_field.related_model._default_manager
        if "queryset" not in kwargs and hasattr(manager, "for_user"):
            kwargs["queryset"] = manager.for_user(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        key = (request.GET.get("app_label"), request.GET.get("model_name"), request.GET.get("field_name"))
        if key in AUTOCOMPLETE_CHOICES:
            queryset = AUTOCOMPLETE_CHOICES[key](request.user, request.GET)
        return super().get_search_results(request, queryset, search_term)


def warning_label(text: str) -> str:
    """Show `text` as a warning in a list or on a page (overdue, a rule's warning): never as a success tick."""
    return format_html('<span class="warning-label" style="{}">⚠ {}</span>', WARNING_STYLE, text)


# Dark amber: reads as a warning on the admin's light and dark themes, distinct from errors' red.
WARNING_STYLE = "color: #b45309; font-weight: 600; white-space: nowrap"

VERSION_FIELD = "edit_version"


class VersionedFormMixin(forms.Form):
    """Carry the version of the record the form was opened on, so that the service refuses a stale edit."""

    edit_version = forms.IntegerField(label=gettext_lazy("version opened"), widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        if instance is not None and instance.pk:
            self.fields[VERSION_FIELD].initial = getattr(instance, "version", None)


def versioned(form_class: type) -> type:
    """Return `form_class` with the hidden `edit_version` field."""
    if issubclass(form_class, VersionedFormMixin):
        return form_class
    return type(form_class.__name__, (VersionedFormMixin, form_class), {})


def expected_version(form) -> int | None:
    """Return the version the form was opened on (None for a new record or a form without it)."""
    return form.cleaned_data.get(VERSION_FIELD) if form.instance.pk else None


def add_service_error(form, error: Exception) -> None:
    """Show a service's refusal on `form`: on the field it names when the form has it, else above the form."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, [m for e in errors for m in e.messages])
    elif isinstance(error, ValidationError):
        form.add_error(None, error.messages)
    else:
        form.add_error(None, str(error))


def adopt(obj, saved) -> None:
    """Make the admin's unsaved `obj` stand for `saved`, the object a service created from the form's data."""
    obj.pk = saved.pk
    obj.version = saved.version
    obj._state.adding = False


def changed_forms(formset) -> Iterator[tuple[Any, Any]]:
    """Yield (form, unsaved instance) for each new or changed form of an inline formset."""
    # Sets the parent on new rows, and the lists the admin's change message reads (new_objects, …).
    formset.save(commit=False)
    for form in formset.forms:
        if not form.has_changed() or form in formset.deleted_forms:
            continue
        yield form, form.instance


class ServiceErrorsMixin:
    """Show the services' refusals on the admin's form.

    The services decide who may do what. When one refuses (NotAllowed, ValidationError — a stale edit too), the
    whole save is rolled back and the page is shown again with the message, the user's input kept."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)

        class ServiceForm(form_class):
            def clean(self):
                data = super().clean()
                error = getattr(request, "_service_error", None)
                if error is not None:
                    add_service_error(self, error)
                return data

        ServiceForm.__name__ = form_class.__name__
        return ServiceForm

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method != "POST":
            return super().changeform_view(request, object_id, form_url, extra_context)
        try:
            with transaction.atomic():
                return super().changeform_view(request, object_id, form_url, extra_context)
        except (NotAllowed, ValidationError) as error:
            # Nothing was saved; show the same page again, the refusal on the form and the input kept.
            request._service_error = error
            return super().changeform_view(request, object_id, form_url, extra_context)


class ServiceAdminMixin(ServiceErrorsMixin):
    """Save through the app's services, show their refusals on the form, and carry the version the page was
    opened on (`edit_version`) so that the service refuses a stale edit."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs.setdefault("form", versioned(self.form))
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(name, dict(options)) for name, options in super().get_fieldsets(request, obj)]
        # A reader's page is all read-only: no version to carry, and no "edit_version" label to show.
        if obj is not None and not self.has_change_permission(request, obj):
            return [
                (name, {**opts, "fields": [f for f in opts["fields"] if f != VERSION_FIELD]})
                for name, opts in fieldsets
            ]
        if fieldsets and VERSION_FIELD not in fieldsets[0][1]["fields"]:
            fieldsets[0][1]["fields"] = [*fieldsets[0][1]["fields"], VERSION_FIELD]
        return fieldsets


class VersionedInlineMixin:
    """Inline rows carry the version each row was opened at, so that the service refuses a stale edit."""

    def get_formset(self, request, obj=None, **kwargs):
        kwargs.setdefault("form", versioned(self.form))
        return super().get_formset(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        fields = [f for f in super().get_fields(request, obj) if f != VERSION_FIELD]
        # A reader's rows are read-only: no version to carry, and no "edit_version" column to show.
        return fields if obj is not None and not self.has_change_permission(request, obj) else [*fields, VERSION_FIELD]


class ScopedInlineMixin(VersionedInlineMixin):
    """Inlines follow the scope of their model as the parent admin does, and carry each row's version."""

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


class ImportExportModelAdmin(
    ImportMixin, ExportMixin, ServiceAdminMixin, ScopedAdminMixin, BaseImportExportModelAdmin
):
    """Scoped admin with xlsx and csv import/export (the formats county clerks use). Resources get the
    requesting user, so that imports refuse rows outside the user's scope and record who made them; exports are
    written by the kernel's writers (`exports.ExportMixin`)."""

    formats = [XLSX, CSV]

    def get_import_resource_kwargs(self, request, **kwargs):
        return {**super().get_import_resource_kwargs(request, **kwargs), "user": request.user}

    def get_export_resource_kwargs(self, request, **kwargs):
        return {**super().get_export_resource_kwargs(request, **kwargs), "user": request.user}

    def has_import_permission(self, request):
        return super().has_import_permission(request) and scope_of(request.user).writes


class ScopedModelAdmin(ServiceAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """A plain scoped admin."""


# --- Big change lists -------------------------------------------------------------------------------------------

# Below this many rows a table is counted exactly (a count is cheap there, and a small list shows exact totals).
ESTIMATE_FROM = 10_000

# A list narrowed by scope, filter or search is counted exactly when its table holds fewer rows than this. In a
# bigger table (the activities of a region: millions) such a count reads every matching row — a county's activities
# are hundreds of thousands — so the list is not counted: the page's own query reads one row more than it shows, and
# the page says whether more rows follow.
COUNT_NARROWED_BELOW = 100_000


def table_estimate(queryset) -> int | None:
    """Return the planner's estimate of the rows of `queryset`'s table (PostgreSQL `pg_class.reltuples`, kept by
    autovacuum and ANALYZE), or None where there is none: another database, or a table never analysed."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(queryset.model._meta.db_table)
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", [table])
        row = cursor.fetchone()
    return int(row[0]) if row is not None and row[0] is not None and row[0] >= 0 else None


def whole_table(queryset) -> bool:
    """Return whether `queryset` reads every row of its table once: no condition (scope, filter or search), no
    grouping, no DISTINCT, no union — so that its count is the table's."""
    query = queryset.query
    return not (
        query.where
        or query.distinct
        or query.combinator
        or query.group_by
        or query.is_sliced
        or queryset._result_cache is not None
        or query.is_empty()
    )


class EstimatedCountPaginator(Paginator):
    """A paginator that does not count a big table row by row.

    - A list of the whole table (nothing filtered or searched, no scope narrowing it) takes the database's estimate
      of the table's rows when the table holds at least ESTIMATE_FROM (`estimated`: the page says "about").
    - A narrowed list of a table of at least COUNT_NARROWED_BELOW rows is not counted: the rows of the page asked for
      (`number`, which `BigListMixin` gives; without it the list is counted) are read with one row more, which says
      whether more follow (`more`: the page says "more than" the rows up to this page's end, and links the next
      page). A list that ends on this page is thus counted exactly.
    - Anything else — a small table, SQLite, where there is no estimate — is counted exactly."""

    estimated = False
    more = False

    def __init__(self, *args, number: int | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.number = number
        self._rows = None

    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, QuerySet):
            whole = whole_table(self.object_list)
            estimate = table_estimate(self.object_list)
            if estimate is not None and whole and estimate >= ESTIMATE_FROM:
                self.estimated = True
                return estimate
            if estimate is not None and not whole and estimate >= COUNT_NARROWED_BELOW and self.number:
                return self._count_to_next_page()
        return super().count

    def _count_to_next_page(self) -> int:
        bottom = (self.number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        self.more = len(rows) > self.per_page
        self._rows = rows[: self.per_page]
        return bottom + len(rows)

    @property
    def known(self) -> int:
        """The rows known to be there when `more`: those up to the end of the page read."""
        return self.number * self.per_page

    def page(self, number):
        if self._rows is not None and self.validate_number(number) == self.number:
            return self._get_page(self._rows, self.number, self)
        return super().page(number)


class BigChangeList(ChangeList):
    """The change list of a big table, paged by `EstimatedCountPaginator`."""

    def get_results(self, request):
        super().get_results(request)
        paginator = self.paginator
        if paginator.more:
            # Only the rows up to the next page were read: "show all" would read every row of the list.
            self.can_show_all = False
            if self.show_all:
                self.result_list = paginator.page(self.page_num).object_list
        elif paginator._rows is not None and not self.multi_page:
            # The whole list is the page already read.
            self.result_list = paginator._rows


class BigListMixin:
    """The change list of a big table: no second count of the unfiltered table ("N in all" beside a filtered
    count), and no count of every row of the list (`EstimatedCountPaginator`). Give such an admin an `ordering` an
    index serves, so that its first page is read without sorting the whole table."""

    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        try:  # as the change list reads the page asked for
            number = int(request.GET.get(PAGE_VAR, 1))
        except ValueError:
            number = 1
        # A list with editable rows is counted as before: its formset takes the page as a queryset, not as rows read.
        number = None if self.list_editable else max(number, 1)
        return self.paginator(queryset, per_page, orphans, allow_empty_first_page, number=number)

    def get_changelist(self, request, **kwargs):
        return BigChangeList

    def action_checkbox(self, obj):
        # Django renders a form widget through the template engine for each row's box (a third of the rendering of
        # a 100-row list); the same markup, written directly.
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )
