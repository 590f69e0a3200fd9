"""Admin for cycles, district pairings, pairings (with their agreement), agreements (with their problems)
and work plans. Every save goes through `pairings.services`."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import csrf_protect_m
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from liuzhou_pairing.access import NotAllowed
from liuzhou_pairing.admin import (
    AUTOCOMPLETE_FORWARD_JS,
    BigListMixin,
    ImportExportModelAdmin,
    ScopedAdminMixin,
    ScopedInlineMixin,
    ServiceAdminMixin,
    adopt,
    changed_forms,
    expected_version,
    forward_to_autocomplete,
    warning_label,
)
from liuzhou_pairing.scope import scope_of
from schools.models import County

from .forms import CycleAdminForm, DistrictPairingAdminForm, PairingAdminForm
from .models import Agreement, Cycle, DistrictPairing, Pairing, Problem, Semester, WorkPlan, WorkPlanAttachment
from .resources import PairingResource
from .rules import warning_messages
from .selectors import current_cycle, pairable_schools
from .services import (
    AGREEMENT_FIELDS,
    CONTACT_FIELDS,
    CYCLE_FIELDS,
    DISTRICT_PAIRING_FIELDS,
    PAIRING_FIELDS,
    PROBLEM_FIELDS,
    WORK_PLAN_FIELDS,
    agreement_editable_fields,
    agreement_save,
    can_change_city_fixed,
    cycle_create,
    cycle_update,
    district_pairing_create,
    district_pairing_update,
    pairing_create,
    pairing_editable_fields,
    pairing_update,
    problem_save,
    semester_update,
    work_plan_attachment_add,
    work_plan_attachment_remove,
    work_plan_attachments_editable,
    work_plan_editable_fields,
    work_plan_save,
    work_plan_tables_attach,
)

# The name of the work plan page's button that generates and attaches a county's arrangement tables.
ATTACH_TABLES = "_attach_tables"


class CountyOfEitherSideFilter(admin.SimpleListFilter):
    """Pairings whose helper or recipient lies in the chosen county-level unit."""

    title = _("county of either side")
    parameter_name = "county"

    def lookups(self, request, model_admin):
        counties = County.objects.order_by("code")
        scope = scope_of(request.user)
        if scope.county_id and scope.writes:
            # The counties whose schools this bureau meets in its pairings: its own and its paired ones.
            counties = counties.filter(pk__in=pairable_schools(user=request.user).values("county_id"))
        elif not scope.everything:
            counties = counties.filter(pk=scope.county_id) if scope.county_id else counties.none()
        return [(str(c.pk), c.display_name) for c in counties]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(Q(helper__county_id=self.value()) | Q(recipient__county_id=self.value()))
        return queryset


class HasWarningsFilter(admin.SimpleListFilter):
    title = _("has warnings")
    parameter_name = "has_warnings"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.with_warnings()
        if self.value() == "no":
            return queryset.filter(warnings=[])
        return queryset


class ReasonFieldMixin:
    """Ask for a reason for the change only of a user who may make one (a reader sees no empty reason field)."""

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "reason"]})
            for name, options in fieldsets
        ]


@admin.register(Cycle)
class CycleAdmin(ReasonFieldMixin, ServiceAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    form = CycleAdminForm
    fields = [*CYCLE_FIELDS, "reason"]
    list_display = ["name", "first_semester_label", "last_semester_label", "work_plan_deadline", "agreement_deadline"]

    @admin.display(description=_("first semester"))
    def first_semester_label(self, obj: Cycle) -> str:
        return obj.first_semester_label

    @admin.display(description=_("last semester"))
    def last_semester_label(self, obj: Cycle) -> str:
        return obj.last_semester_label

    def save_model(self, request, obj, form, change):
        reason = form.cleaned_data.get("reason", "")
        if change:
            cycle_update(cycle=obj, actor=request.user, reason=reason, expected_version=expected_version(form))
        else:
            adopt(obj, cycle_create(actor=request.user, reason=reason, **{f: getattr(obj, f) for f in CYCLE_FIELDS}))


@admin.register(Semester)
class SemesterAdmin(ServiceAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    """Semesters are made with their cycle; the city bureau adjusts their dates."""

    fields = ["cycle", "academic_year", "term", "starts_on", "ends_on", "entry_closes_on"]
    readonly_fields = ["cycle", "academic_year", "term"]
    list_display = ["label", "token", "starts_on", "ends_on", "entry_closes_on", "cycle"]
    list_filter = ["cycle"]
    list_select_related = ["cycle"]

    @admin.display(description=_("semester"), ordering="starts_on")
    def label(self, obj: Semester) -> str:
        return obj.label

    @admin.display(description=_("short form"))
    def token(self, obj: Semester) -> str:
        return obj.token

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        fields = {f: getattr(obj, f) for f in ("starts_on", "ends_on", "entry_closes_on")}
        semester_update(semester=obj, actor=request.user, expected_version=expected_version(form), **fields)


@admin.register(DistrictPairing)
class DistrictPairingAdmin(ReasonFieldMixin, ServiceAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    form = DistrictPairingAdminForm
    fields = [*DISTRICT_PAIRING_FIELDS, "reason"]
    list_display = ["helper_county", "recipient_county", "cycle"]
    list_filter = ["cycle"]
    list_select_related = ["helper_county", "recipient_county", "cycle"]

    # R11/R16: the district pairs are fixed by the city; only the city bureau may touch them.
    def has_add_permission(self, request):
        return can_change_city_fixed(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return can_change_city_fixed(request.user) and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        reason = form.cleaned_data.get("reason", "")
        if change:
            district_pairing_update(
                pair=obj, actor=request.user, reason=reason, expected_version=expected_version(form)
            )
        else:
            fields = {f: getattr(obj, f) for f in DISTRICT_PAIRING_FIELDS}
            adopt(obj, district_pairing_create(actor=request.user, reason=reason, **fields))


class AgreementInline(ScopedInlineMixin, admin.StackedInline):
    model = Agreement
    extra = 0
    max_num = 1
    can_delete = False
    show_change_link = True
    fields = list(AGREEMENT_FIELDS)


@admin.register(Pairing)
class PairingAdmin(BigListMixin, ReasonFieldMixin, ImportExportModelAdmin, SimpleHistoryAdmin):
    resource_classes = [PairingResource]
    form = PairingAdminForm
    inlines = [AgreementInline]
    # One line per pairing on a 1366-pixel screen: short labels, the warnings as a count (their texts on hover
    # and on the pairing's page); the cycle is a filter (pairing_list.css keeps the short columns on one line).
    list_display = [
        "helper",
        "recipient",
        "stage",
        "tier",
        "status",
        "city_fixed",
        "arranged_by_unit",
        "warning_count",
    ]
    list_filter = [
        "cycle",
        "tier",
        "stage",
        CountyOfEitherSideFilter,
        "status",
        HasWarningsFilter,
        "is_city_fixed",
    ]
    search_fields = ["helper__name", "recipient__name", "helper__school_code", "recipient__school_code"]
    list_select_related = ["helper", "recipient", "cycle", "arranged_by_county"]
    # The newest first, read from the primary key's index: sorting by cycle, tier and the schools' names sorted
    # every joined pairing of the region before the first page.
    ordering = ["-pk"]
    autocomplete_fields = ["helper", "recipient", "lead_school", "arranged_by_county"]
    readonly_fields = ["warning_list", "created_at", "problem_list"]
    fieldsets = [
        (None, {"fields": ["cycle", "stage", "tier", "helper", "recipient", "starts_on", "lead_school"]}),
        (
            _("Arrangement"),
            {
                "fields": [
                    "arranged_by",
                    "arranged_by_county",
                    "is_city_fixed",
                    "status",
                    "ended_on",
                    "end_reason",
                    "reason",
                ]
            },
        ),  # fmt: skip
        (_("Contacts"), {"fields": ["helper_contact", "helper_phone", "recipient_contact", "recipient_phone"]}),
        (_("Rule check"), {"fields": ["warning_list", "created_at"]}),
        (_("Problems and countermeasures"), {"fields": ["problem_list"]}),
    ]

    @admin.display(description=_("problems and countermeasures"))
    def problem_list(self, obj: Pairing) -> str:
        """Show the agreement's problem / countermeasure rows here; they are edited on the agreement's page."""
        agreement = Agreement.objects.filter(pairing=obj).first() if obj.pk else None
        if agreement is None:
            return _("No agreement has been recorded yet; the county bureau or the city records it, then its problems "
                     "and countermeasures.")  # fmt: skip
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (p.problem, p.countermeasure, p.get_measure_display(), p.get_status_display())
                for p in agreement.problems.all()
            ),
        )
        link = reverse("admin:pairings_agreement_change", args=[agreement.pk])
        return format_html(
            '<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>{}</table><p><a href="{}">{}</a></p>',
            _("problem"), _("countermeasure"), _("measure"), _("status"), rows, link,
            _("Edit the problems and countermeasures of this agreement"),
        )  # fmt: skip

    class Media:
        css = {"all": ["pairings/pairing_list.css"]}
        js = AUTOCOMPLETE_FORWARD_JS

    @admin.display(description=_("city-fixed"), ordering="is_city_fixed", empty_value="")
    def city_fixed(self, obj: Pairing) -> str:
        return _("city-fixed") if obj.is_city_fixed else ""

    @admin.display(description=_("arranged by"), ordering="arranged_by_county")
    def arranged_by_unit(self, obj: Pairing) -> str:
        return str(obj.arranged_by_county) if obj.arranged_by_county_id else _("city bureau")

    @admin.display(description=_("warnings"), empty_value="")
    def warning_count(self, obj: Pairing) -> str:
        if not obj.warnings:
            return ""
        texts = "；".join(warning_messages(obj))
        return format_html('<span title="{}">{}</span>', texts, warning_label(len(obj.warnings)))

    @admin.display(description=_("warnings"))
    def warning_list(self, obj: Pairing) -> str:
        if not obj.warnings:
            return "—"
        return format_html_join("", "<div>⚠ {}</div>", ((m,) for m in warning_messages(obj)))

    def get_readonly_fields(self, request, obj=None):
        # What a user may set is decided by the service; the form shows the rest read-only.
        editable = pairing_editable_fields(request.user)
        return [*super().get_readonly_fields(request, obj), *(f for f in PAIRING_FIELDS if f not in editable)]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ("helper", "recipient"):
            kwargs["queryset"] = pairable_schools(user=request.user)
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if formfield is not None and db_field.name in ("helper", "recipient", "lead_school"):
            # The choices follow the stage chosen above them (registered in PairingsConfig.ready).
            forward_to_autocomplete(formfield, "stage")
        return formfield

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if "cycle" not in initial:
            cycle = current_cycle()
            if cycle is not None:
                initial["cycle"] = cycle.pk
        return initial

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        reason = data.get("reason", "")
        if change:
            pairing_update(pairing=obj, actor=request.user, reason=reason, expected_version=expected_version(form))
            return
        created = pairing_create(
            helper=data["helper"],
            recipient=data["recipient"],
            stage=data["stage"],
            tier=data["tier"],
            cycle=data["cycle"],
            actor=request.user,
            arranged_by=data.get("arranged_by"),
            arranged_by_county=data.get("arranged_by_county"),
            is_city_fixed=data.get("is_city_fixed", False),
            lead_school=data.get("lead_school"),
            status=data["status"],
            reason=reason,
            **{f: data.get(f, "") for f in CONTACT_FIELDS},
        )
        adopt(obj, created)

    def save_formset(self, request, form, formset, change):
        for agreement_form, agreement in changed_forms(formset):
            agreement_save(agreement=agreement, actor=request.user, expected_version=expected_version(agreement_form))


class ProblemInline(ScopedInlineMixin, admin.TabularInline):
    model = Problem
    extra = 1
    # Problems are never deleted; one entered by mistake is withdrawn (status).
    can_delete = False
    # Seven columns fit a 1366-pixel screen with modest text boxes.
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 28})}}
    fields = list(PROBLEM_FIELDS)


@admin.register(Agreement)
class AgreementAdmin(BigListMixin, ServiceAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["pairing", "signed_on", "is_late_display", "has_scan"]
    list_filter = ["pairing__cycle", "pairing__stage", "pairing__tier"]
    search_fields = ["pairing__helper__name", "pairing__recipient__name"]
    list_select_related = ["pairing__helper", "pairing__recipient", "pairing__cycle"]
    autocomplete_fields = ["pairing"]
    inlines = [ProblemInline]

    @admin.display(description=_("on time"))
    def is_late_display(self, obj: Agreement) -> str:
        if obj.signed_on:
            return warning_label(_("signed late")) if obj.is_late else _("signed on time")
        if timezone.localdate() > obj.pairing.cycle.agreement_deadline:
            return warning_label(_("overdue, not signed"))
        return _("not signed yet")

    @admin.display(description=_("signed scan"), boolean=True)
    def has_scan(self, obj: Agreement) -> bool:
        return bool(obj.scan)

    def get_readonly_fields(self, request, obj=None):
        editable = agreement_editable_fields(request.user, obj)
        return [*(["pairing"] if obj else []), *(f for f in AGREEMENT_FIELDS if f not in editable)]

    def save_model(self, request, obj, form, change):
        agreement_save(agreement=obj, actor=request.user, expected_version=expected_version(form))

    def save_formset(self, request, form, formset, change):
        for problem_form, problem in changed_forms(formset):
            problem_save(problem=problem, actor=request.user, expected_version=expected_version(problem_form))


class _EditsRefused(Exception):
    """The page's edits were refused: undo what was done with them and show the page with its errors."""

    def __init__(self, response) -> None:
        super().__init__()
        self.response = response


class TablesAttachedFilter(admin.SimpleListFilter):
    """Work plans with or without the arrangement tables among their attachments."""

    title = _("arrangement tables attached")
    parameter_name = "tables_attached"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(tables_attached=self.value() == "yes")
        return queryset


class WorkPlanAttachmentInline(admin.TabularInline):
    """The files filed beside the stamped plan. Rows are added and removed (through the services), never edited:
    by the unit that submits the plan or the city bureau, until the plan is accepted."""

    model = WorkPlanAttachment
    extra = 0
    fields = ["kind", "file", "original_name", "uploaded_on"]
    readonly_fields = ["original_name", "uploaded_on"]

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("pairings.view_workplan")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return obj is not None and work_plan_attachments_editable(plan=obj, actor=request.user)

    def has_delete_permission(self, request, obj=None):
        return obj is not None and work_plan_attachments_editable(plan=obj, actor=request.user)


@admin.register(WorkPlan)
class WorkPlanAdmin(BigListMixin, ServiceAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["unit", "status", "submitted_on", "due_on", "is_late_display", "tables_attached", "cycle"]
    list_filter = ["cycle", "status", TablesAttachedFilter]
    search_fields = ["county__name", "county__short_name", "school__name"]
    list_select_related = ["county", "school", "cycle"]
    fields = ["cycle", "county", "school", *WORK_PLAN_FIELDS]
    inlines = [WorkPlanAttachmentInline]
    change_form_template = "admin/pairings/workplan/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).with_tables_attached()

    @admin.display(description=_("arrangement tables attached"), boolean=True, ordering="tables_attached")
    def tables_attached(self, obj: WorkPlan) -> bool | None:
        """Yes or no for a county bureau's plan; a school's plan carries no arrangement tables (shown as unknown,
        not as missing)."""
        return obj.has_arrangement_tables if obj.county_id else None

    @admin.display(description=_("unit"))
    def unit(self, obj: WorkPlan) -> str:
        return str(obj.unit)

    @admin.display(description=_("due on"))
    def due_on(self, obj: WorkPlan):
        return obj.due_on

    @admin.display(description=_("on time"))
    def is_late_display(self, obj: WorkPlan) -> str:
        late = obj.is_late(timezone.localdate())
        if obj.submitted_on:
            return warning_label(_("submitted late")) if late else _("submitted on time")
        return warning_label(_("overdue, not submitted")) if late else _("not due yet")

    def has_add_permission(self, request):
        # Work plans are called for by `load_liuzhou` (work_plans_ensure), one per unit that must submit one.
        return False

    def get_readonly_fields(self, request, obj=None):
        editable = work_plan_editable_fields(request.user)
        return ["cycle", "county", "school", *(f for f in WORK_PLAN_FIELDS if f not in editable)]

    def save_model(self, request, obj, form, change):
        work_plan_save(plan=obj, actor=request.user, expected_version=expected_version(form))

    def save_formset(self, request, form, formset, change):
        if formset.model is not WorkPlanAttachment:
            return super().save_formset(request, form, formset, change)
        # The admin's change message reads what was added and removed from these.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        # New files first, so that replacing a submitted plan's tables in one save keeps it with tables throughout.
        for row in formset.extra_forms:
            if row.has_changed() and row not in formset.deleted_forms:
                data = row.cleaned_data
                formset.new_objects.append(
                    work_plan_attachment_add(
                        plan=form.instance, file=data["file"], kind=data["kind"], actor=request.user
                    )  # fmt: skip
                )
        for row in formset.deleted_forms:
            if row.instance.pk:
                formset.deleted_objects.append(row.instance)
                work_plan_attachment_remove(attachment=row.instance, actor=request.user)

    @csrf_protect_m
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and ATTACH_TABLES in request.POST and object_id:
            return self.attach_tables(request, object_id, form_url, extra_context)
        extra_context = dict(extra_context or {})
        plan = self.get_object(request, object_id) if object_id else None
        extra_context["attach_tables"] = (
            ATTACH_TABLES
            if plan is not None
            and plan.county_id
            and work_plan_attachments_editable(plan=plan, actor=request.user)
            and self.has_change_permission(request, plan)
            else ""
        )
        return super().changeform_view(request, object_id, form_url, extra_context)

    def attach_tables(self, request, object_id, form_url, extra_context):
        """Generate the county's arrangement tables, attach them to its plan and save the page's edits with them
        (a status, a date and the stamped plan chosen before pressing the button are not lost); the page is shown
        again. When the edits are refused, nothing is kept — neither the tables nor the edits — and the page shows
        why, with what was typed."""
        plan = self.get_object(request, object_id)
        if plan is None:
            raise Http404
        try:
            with transaction.atomic():
                attachment = work_plan_tables_attach(plan=plan, actor=request.user)
                response = super().changeform_view(request, object_id, form_url, extra_context)
                if response.status_code != 302:
                    raise _EditsRefused(response)
        except _EditsRefused as refused:
            return refused.response
        except (NotAllowed, ValidationError) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(
                request, _("The arrangement tables were generated and attached: %(name)s.") % {"name": attachment}
            )
        return HttpResponseRedirect(request.path)
