"""Admin for cycles, district pairings, pairings (with their agreement), agreements (with their problems)
and work plans. Every save goes through `pairings.services`."""

from django.contrib import admin
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from liuzhou_pairing.admin import ActorFormMixin, ImportExportModelAdmin, ScopedAdminMixin, ScopedInlineMixin
from liuzhou_pairing.scope import scope_of
from schools.models import County, School

from .choices import PairingStatus
from .forms import PairingAdminForm, WorkPlanAdminForm
from .models import Agreement, Cycle, DistrictPairing, Pairing, Problem, WorkPlan
from .resources import PairingResource
from .services import (
    CONTACT_FIELDS,
    agreement_save,
    can_change_city_fixed,
    pairing_create,
    pairing_end,
    pairing_update,
    problem_save,
    work_plan_save,
)


class CountyOfEitherSideFilter(admin.SimpleListFilter):
    """Pairings whose helper or recipient lies in the chosen county-level unit."""

    title = _("county of either side")
    parameter_name = "county"

    def lookups(self, request, model_admin):
        counties = County.objects.order_by("code")
        scope = scope_of(request.user)
        if scope.county_id and scope.writes:
            # The counties whose schools this bureau meets in its pairings: its own and its paired ones.
            counties = counties.filter(pk__in=School.objects.pairable_for(request.user).values("county_id"))
        elif not scope.everything:
            counties = counties.filter(pk=scope.county_id) if scope.county_id else counties.none()
        return [(str(c.pk), c.name) for c in counties]

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


@admin.register(Cycle)
class CycleAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["name", "first_semester_label", "last_semester_label", "work_plan_deadline", "agreement_deadline"]

    @admin.display(description=_("first semester"))
    def first_semester_label(self, obj: Cycle) -> str:
        return obj.first_semester_label

    @admin.display(description=_("last semester"))
    def last_semester_label(self, obj: Cycle) -> str:
        return obj.last_semester_label


@admin.register(DistrictPairing)
class DistrictPairingAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["helper_county", "recipient_county", "cycle"]
    list_filter = ["cycle"]
    list_select_related = ["helper_county", "recipient_county", "cycle"]

    # R11/R16: the district pairs are fixed by the city; only the city bureau may touch them.
    def has_add_permission(self, request):
        return can_change_city_fixed(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return can_change_city_fixed(request.user) and super().has_change_permission(request, obj)


class AgreementInline(ScopedInlineMixin, admin.StackedInline):
    model = Agreement
    extra = 0
    max_num = 1
    can_delete = False
    show_change_link = True
    fields = ["signed_on", "helper_signatory", "recipient_signatory", "plan", "scan"]


@admin.register(Pairing)
class PairingAdmin(ActorFormMixin, ImportExportModelAdmin, SimpleHistoryAdmin):
    resource_classes = [PairingResource]
    form = PairingAdminForm
    inlines = [AgreementInline]
    list_display = [
        "helper",
        "recipient",
        "stage",
        "tier",
        "status",
        "is_city_fixed",
        "arranged_by_county",
        "warning_list",
        "cycle",
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
    autocomplete_fields = ["helper", "recipient", "lead_school", "arranged_by_county"]
    readonly_fields = ["warning_list", "created_at", "problem_list"]
    fieldsets = [
        (None, {"fields": ["cycle", "stage", "tier", "helper", "recipient", "lead_school"]}),
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
            return _("No agreement yet: add it below, then its problems and countermeasures.")
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

    @admin.display(description=_("warnings"))
    def warning_list(self, obj: Pairing) -> str:
        if not obj.warnings:
            return "—"
        return format_html_join("", "<div>⚠ {}</div>", ((m,) for m in obj.warning_messages))

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not scope_of(request.user).city:
            # A county bureau arranges its own pairings; city-fixed ones and lead schools are the city's (R16).
            readonly += ["arranged_by", "arranged_by_county", "is_city_fixed", "lead_school"]
        return readonly

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ("helper", "recipient"):
            kwargs["queryset"] = School.objects.pairable_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        reason = data.get("reason", "")
        scope = scope_of(request.user)
        if not scope.city:
            data["arranged_by"], data["arranged_by_county"] = "county", County.objects.get(pk=scope.county_id)
            data["is_city_fixed"], data["lead_school"] = False, None
        if not change:
            created = pairing_create(
                helper=data["helper"],
                recipient=data["recipient"],
                stage=data["stage"],
                tier=data["tier"],
                cycle=data["cycle"],
                actor=request.user,
                arranged_by=data["arranged_by"],
                arranged_by_county=data.get("arranged_by_county"),
                is_city_fixed=data.get("is_city_fixed", False),
                lead_school=data.get("lead_school"),
                status=data["status"],
                reason=reason,
                **{f: data.get(f, "") for f in CONTACT_FIELDS},
            )
            obj.pk = created.pk
            obj._state.adding = False
            obj.refresh_from_db()
            return
        original = form.original
        fields = {f: data[f] for f in form.changed_data if f in data and f not in {"reason", "ended_on", "end_reason"}}
        ending = fields.pop("status", None) == PairingStatus.ENDED
        if fields:
            original = pairing_update(pairing=original, actor=request.user, reason=reason, **fields)
        if ending:
            original = pairing_end(
                pairing=original,
                actor=request.user,
                on=data.get("ended_on") or timezone.localdate(),
                reason=data.get("end_reason") or reason,
            )
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        for agreement in formset.save(commit=False):
            agreement_save(agreement=agreement, actor=request.user)


class ProblemInline(ScopedInlineMixin, admin.TabularInline):
    model = Problem
    extra = 1
    fields = ["problem", "countermeasure", "measure", "responsible_side", "target_academic_year", "target_term",
              "status"]  # fmt: skip


@admin.register(Agreement)
class AgreementAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["pairing", "signed_on", "is_late_display", "has_scan"]
    list_filter = ["pairing__cycle", "pairing__stage", "pairing__tier"]
    search_fields = ["pairing__helper__name", "pairing__recipient__name"]
    list_select_related = ["pairing__helper", "pairing__recipient", "pairing__cycle"]
    autocomplete_fields = ["pairing"]
    inlines = [ProblemInline]

    @admin.display(description=_("signed late"), boolean=True)
    def is_late_display(self, obj: Agreement) -> bool:
        return obj.is_late

    @admin.display(description=_("signed scan"), boolean=True)
    def has_scan(self, obj: Agreement) -> bool:
        return bool(obj.scan)

    def get_readonly_fields(self, request, obj=None):
        if scope_of(request.user).school_id:
            return ["pairing", "signed_on", "helper_signatory", "recipient_signatory", "plan"]  # the scan stays
        return ["pairing"] if obj else []

    def save_model(self, request, obj, form, change):
        agreement_save(agreement=obj, actor=request.user)

    def save_formset(self, request, form, formset, change):
        for problem in formset.save(commit=False):
            problem_save(problem=problem, actor=request.user)
        for problem in formset.deleted_objects:
            problem.delete()


@admin.register(WorkPlan)
class WorkPlanAdmin(ActorFormMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["unit", "status", "submitted_on", "due_on", "is_late_display", "has_arrangement_tables", "cycle"]
    list_filter = ["cycle", "status", "has_arrangement_tables"]
    search_fields = ["county__name", "school__name"]
    list_select_related = ["county", "school", "cycle"]
    form = WorkPlanAdminForm
    fields = ["cycle", "county", "school", "status", "submitted_on", "document", "has_arrangement_tables",
              "return_reason"]  # fmt: skip

    @admin.display(description=_("unit"))
    def unit(self, obj: WorkPlan) -> str:
        return str(obj.unit)

    @admin.display(description=_("due on"))
    def due_on(self, obj: WorkPlan):
        return obj.due_on

    @admin.display(description=_("late"), boolean=True)
    def is_late_display(self, obj: WorkPlan) -> bool:
        return obj.is_late(timezone.localdate())

    def get_readonly_fields(self, request, obj=None):
        readonly = ["cycle", "county", "school"] if obj else []
        if not request.user.has_perm("pairings.review_workplan"):
            readonly.append("return_reason")
        return readonly

    def save_model(self, request, obj, form, change):
        work_plan_save(plan=obj, actor=request.user, reason=form.cleaned_data.get("return_reason", ""))
