"""Admin for the checklist, inspections and findings. Every save, signing, rectification and verification goes
through `inspections.services`; who may touch what is decided there and in the models' querysets."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from liuzhou_pairing.access import NotAllowed
from liuzhou_pairing.admin import (
    BigListMixin,
    ScopedAdminMixin,
    ServiceAdminMixin,
    VersionedInlineMixin,
    adopt,
    changed_forms,
    expected_version,
    warning_label,
)
from liuzhou_pairing.home import county_display_name
from liuzhou_pairing.scope import scope_of
from pairings.selectors import current_semester

from .choices import OPEN_STATUSES, FindingStatus, InspectionStatus, Level
from .models import ChecklistItem, Finding, Inspection, InspectionItem, SpotCheck
from .sampling import recipient_county_code
from .selectors import facts_of
from .services import (
    CHECKLIST_FIELDS,
    FINDING_FIELDS,
    INSPECTION_FIELDS,
    ITEM_FIELDS,
    RECTIFICATION_FIELDS,
    _may_rectify,
    checklist_item_save,
    finding_rectify,
    finding_save,
    finding_verify,
    inspection_item_save,
    inspection_save,
    inspection_sign,
    levels_recorded_by,
    may_inspect,
    may_record_spot_check,
    may_verify,
    spot_check_draw,
    spot_check_seed,
)

# --- Region spot check (自治区抽查) --------------------------------------------------------------------------------


# What each field of a draw means, on the add page (a recorded sample's page shows the values only).
HELP_TEXTS = {
    "size": _(
        "How many active pairings to draw. Every county with pairings gets one when the size allows; "
        "the rest is shared in proportion to the counties' pairings."
    ),
    "seed": _(
        "A random number chosen for you. The same seed on the same pairings draws the same sample, "
        "so anyone can check the draw."
    ),
    "reason": _("Why the sample is drawn; kept with it."),
}


class SpotCheckAddForm(forms.ModelForm):
    """What the region inspector chooses for a draw; the service draws and records the pairings."""

    class Meta:
        model = SpotCheck
        fields = ["semester", "size", "seed", "reason"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            return  # a recorded sample's page shows it read-only
        for name, text in HELP_TEXTS.items():
            self.fields[name].help_text = text
        if self.is_bound:
            return
        self.fields["seed"].initial = spot_check_seed()
        semester = current_semester()
        if semester is not None:
            self.fields["semester"].initial = semester.pk


@admin.register(SpotCheck)
class SpotCheckAdmin(ServiceAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    """Spot-check samples (自治区抽查): drawn and recorded by the region inspector through `spot_check_draw`, read
    by the region, the city and city-wide inspectors; a recorded sample is never changed."""

    form = SpotCheckAddForm
    list_display = ["semester", "size", "seed", "drawn_count", "drawn_by_shown", "reason", "drawn_at"]
    list_filter = ["semester"]
    list_select_related = ["semester", "drawn_by"]
    readonly_fields = ["drawn_by_shown", "drawn_at", "sample_shown"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("pairings")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["semester", "size", "seed", "reason"]
        return ["semester", "size", "seed", "reason", "drawn_by_shown", "drawn_at", "sample_shown"]

    def add_view(self, request, form_url="", extra_context=None):
        # One button: saving draws and records the sample, whose page then lists the pairings drawn.
        extra_context = {**(extra_context or {}), "show_save_and_add_another": False, "show_save_and_continue": False}
        return super().add_view(request, form_url, extra_context)

    def has_view_permission(self, request, obj=None):
        # The samples are the region's: a county inspector, who reads only its county, is not shown them at all.
        return super().has_view_permission(request, obj) and scope_of(request.user).everything

    def has_add_permission(self, request, *args):
        # The region inspector changes nothing else (its scope does not write), but it draws the samples.
        return admin.ModelAdmin.has_add_permission(self, request) and may_record_spot_check(request.user)

    @admin.display(description=_("pairings drawn"))
    def drawn_count(self, obj: SpotCheck) -> int:
        return len(obj.pairings.all())

    @admin.display(description=_("drawn by"), ordering="drawn_by__username")
    def drawn_by_shown(self, obj: SpotCheck) -> str:
        if obj.drawn_by is None:
            return gettext("the system (on the server)")
        return obj.drawn_by.get_full_name() or obj.drawn_by.username

    @admin.display(description=_("pairings drawn"))
    def sample_shown(self, obj: SpotCheck) -> str:
        pairings = sorted(
            obj.pairings.select_related("helper", "recipient__county"),
            key=lambda p: (recipient_county_code(p), p.pk),
        )
        if not pairings:
            return "—"
        viewer = getattr(obj, "_viewer", None)
        records = viewer is not None and Level.REGION_SPOT_CHECK in levels_recorded_by(viewer)
        inspected: dict[int, list[Inspection]] = {}
        for inspection in obj.inspections.order_by("date", "pk"):
            inspected.setdefault(inspection.pairing_id, []).append(inspection)

        def state(pairing) -> str:
            done = inspected.get(pairing.pk, [])
            links = format_html_join(
                "、",
                '<a href="{}">{}（{}）</a>',
                (
                    (reverse("admin:inspections_inspection_change", args=[i.pk]), i.date, i.get_status_display())
                    for i in done
                ),
            )
            if done or not records:
                return links or gettext("not inspected yet")
            query = urlencode(
                {"level": Level.REGION_SPOT_CHECK, "semester": obj.semester_id, "pairing": pairing.pk,
                 "spot_check": obj.pk}
            )  # fmt: skip
            return format_html(
                '<a href="{}?{}">{}</a>',
                reverse("admin:inspections_inspection_add"),
                query,
                gettext("Record its inspection"),
            )

        rows = format_html_join(
            "",
            '<tr><td>{}</td><td><a href="{}">{}</a></td><td>{}</td><td>{}</td></tr>',
            (
                (county_display_name(p.recipient.county), reverse("admin:pairings_pairing_change", args=[p.pk]),
                 p.helper.name, p.recipient.name, state(p))
                for p in pairings
            ),
        )  # fmt: skip
        return format_html(
            '<table class="spot-check-sample"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            gettext("county"),
            gettext("helper"),
            gettext("recipient"),
            gettext("spot-check inspection"),
            rows,
        )

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj._viewer = request.user  # who reads the page: offered the link to record an inspection
        return obj

    def save_model(self, request, obj, form, change):
        sample, saved = spot_check_draw(
            semester=obj.semester, size=obj.size, seed=obj.seed, actor=request.user, reason=obj.reason
        )
        adopt(obj, saved)
        request._spot_check_count = len(sample)

    def save_related(self, request, form, formsets, change):
        # The service set the pairings drawn; the form holds none.
        pass

    def response_add(self, request, obj, post_url_continue=None):
        messages.success(
            request,
            gettext("%(count)s pairings were drawn with seed %(seed)s and recorded.")
            % {"count": getattr(request, "_spot_check_count", 0), "seed": obj.seed},
        )
        return HttpResponseRedirect(reverse("admin:inspections_spotcheck_change", args=[obj.pk]))


def _without_related_buttons(formfield):
    """The units chosen on inspection and finding pages are not made or changed from there."""
    widget = getattr(formfield, "widget", None)
    for name in ("can_add_related", "can_change_related", "can_delete_related"):
        if hasattr(widget, name):
            setattr(widget, name, False)
    return formfield


def _errors(error: Exception) -> str:
    return "；".join(error.messages) if isinstance(error, ValidationError) else str(error)


class InspectorAdminMixin(ServiceAdminMixin, ScopedAdminMixin):
    """Inspectors write inspections though they write nothing else (their scope does not `write`): change and add
    follow the querysets' `editable_by` and the services, not `Scope.writes`."""

    def has_change_permission(self, request, obj=None):
        allowed = admin.ModelAdmin.has_change_permission(self, request, obj)
        if obj is None or obj.pk is None:
            return allowed and self.may_write(request)
        return allowed and self.in_scope(request, obj, edit=True)

    def has_add_permission(self, request, *args):
        return admin.ModelAdmin.has_add_permission(self, request) and self.may_write(request)

    def may_write(self, request) -> bool:
        return may_inspect(request.user)


@admin.register(ChecklistItem)
class ChecklistItemAdmin(ServiceAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    """The checklist of each level: edited by the city; inspections keep the copy they were made with."""

    fields = list(CHECKLIST_FIELDS)
    list_display = ["code", "text", "kind", "order", "active"]
    list_filter = ["level", "active"]

    def save_model(self, request, obj, form, change):
        checklist_item_save(item=obj, actor=request.user, expected_version=expected_version(form))


class InspectionItemInline(VersionedInlineMixin, admin.TabularInline):
    model = InspectionItem
    extra = 0
    max_num = 0  # the items come from the checklist
    can_delete = False
    fields = ["code", "text", *ITEM_FIELDS]
    readonly_fields = ["code", "text"]
    classes = ["inspection-items"]

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and obj.level != Level.CITY_REVIEW:
            fields = [f for f in fields if f not in ("review", "review_note")]
        elif obj is not None:
            fields = [*fields[:2], "self_result", *fields[2:]]
        return fields

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "self_result"]

    @admin.display(description=_("the county's own result"))
    def self_result(self, item: InspectionItem) -> str:
        """What the reviewed self-inspection found for the same item, beside the re-inspection's judgement."""
        reviewed = item.inspection.reviews if item.pk and item.inspection.reviews_id else None
        own = reviewed.items.filter(code=item.code).first() if reviewed else None
        if own is None:
            return "—"
        result = own.get_result_display() if own.result else (own.score if own.score is not None else "—")
        return f"{result}（{own.note}）" if own.note else str(result)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or Inspection.objects.editable_by(request.user).filter(pk=obj.pk).exists())

    def has_add_permission(self, request, obj=None):
        return False


class FindingInline(VersionedInlineMixin, admin.TabularInline):
    model = Finding
    extra = 0
    can_delete = False
    fields = ["text", "school", "county", "deadline", "status"]
    readonly_fields = ["status"]

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user)

    def _records(self, request, obj) -> bool:
        # Findings are recorded while the inspection is a draft; a signed one's are read-only here.
        return obj is not None and Inspection.objects.editable_by(request.user).filter(pk=obj.pk).exists()

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._records(request, obj)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._records(request, obj)


@admin.register(Inspection)
class InspectionAdmin(BigListMixin, InspectorAdminMixin, SimpleHistoryAdmin):
    """Inspections at the three levels: the checklist judged item by item beside the system's facts, then
    signed; a signed inspection is read-only."""

    fields = [*INSPECTION_FIELDS, "status", "signed_at", "reviewed_by_shown", "facts_shown"]
    readonly_fields = ["status", "signed_at", "reviewed_by_shown", "facts_shown"]
    list_display = ["date", "level", "inspected_shown", "semester", "rating", "is_special", "status"]
    list_filter = ["level", "semester", "status", "is_special"]
    list_select_related = ["semester", "county", "school", "pairing__helper", "pairing__recipient"]
    autocomplete_fields = ["school", "pairing"]
    inlines = [InspectionItemInline, FindingInline]
    actions = ["sign_selected"]

    class Media:
        css = {"all": ["inspections/inspection.css"]}

    def get_fields(self, request, obj=None):
        # A re-inspection names the self-inspection it reviews, a region spot check its sample; other levels
        # neither. The add page knows the level when a link gives it (?level=…).
        fields = list(super().get_fields(request, obj))
        level = obj.level if obj is not None else request.GET.get("level")
        if level != Level.COUNTY_SELF or obj is None:
            fields.remove("reviewed_by_shown")
        if level in Level.values:
            if level != Level.CITY_REVIEW:
                fields.remove("reviews")
            if level != Level.REGION_SPOT_CHECK:
                fields.remove("spot_check")
        return fields

    @admin.display(description=_("inspected unit"))
    def inspected_shown(self, obj: Inspection) -> str:
        return str(obj.inspected)

    @admin.display(description=_("city re-inspection"))
    def reviewed_by_shown(self, obj: Inspection):
        """On a county self-inspection, the city's signed re-inspections of it: the county sees the result, each
        overturned item with the city's note."""
        if obj is None or obj.pk is None:
            return "—"
        reviews = obj.reviewed_by.filter(status=InspectionStatus.SIGNED).prefetch_related("items")
        parts = []
        for review in reviews.order_by("date", "pk"):
            overturned = [i for i in review.items.all() if i.review == "overturns"]
            if overturned:
                detail = format_html_join(
                    "", "<li>{} {}：{}</li>", ((i.code, i.text, i.review_note) for i in overturned)
                )  # fmt: skip
                summary = gettext("%(n)d items overturned:") % {"n": len(overturned)}
            else:
                detail, summary = "", gettext("every item confirmed.")
            parts.append(
                format_html(
                    '<p><a href="{}">{}</a>（{}）：{}</p><ul>{}</ul>',
                    reverse("admin:inspections_inspection_change", args=[review.pk]),
                    review,
                    review.get_rating_display(),
                    summary,
                    detail,
                )
            )
        if not parts:
            return gettext("not re-inspected yet")
        return format_html_join("", "{}", ((p,) for p in parts))

    @admin.display(description=_("facts from the system"))
    def facts_shown(self, obj: Inspection):
        if obj is None or obj.pk is None:
            return _("Shown once the inspection is saved.")
        facts = facts_of(obj)
        return render_facts(facts, frozen=obj.status == InspectionStatus.SIGNED)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("level")
        return fields

    def get_actions(self, request):
        return super().get_actions(request) if may_inspect(request.user) else {}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # Only the choices the user may make: the levels it records, the signed county self-inspections a
        # re-inspection reviews, a county inspector's own bureau as the inspecting one.
        formfield = _without_related_buttons(super().formfield_for_dbfield(db_field, request, **kwargs))
        if formfield is None:
            return formfield
        if db_field.name == "level":
            recorded = levels_recorded_by(request.user)
            formfield.choices = [c for c in formfield.choices if not c[0] or c[0] in recorded]
        elif db_field.name == "reviews":
            formfield.queryset = formfield.queryset.filter(level=Level.COUNTY_SELF, status=InspectionStatus.SIGNED)
        elif db_field.name == "inspecting_county":
            scope = scope_of(request.user)
            if not scope.city and scope.inspects == "county":
                formfield.queryset = formfield.queryset.filter(pk=scope.county_id)
        return formfield

    def get_inlines(self, request, obj):
        # The items come from the checklist when the inspection is saved; findings follow it.
        return self.inlines if obj is not None else []

    def save_model(self, request, obj, form, change):
        inspection_save(inspection=obj, actor=request.user, expected_version=expected_version(form))

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        for row_form, row in changed_forms(formset):
            version = expected_version(row_form)
            if formset.model is InspectionItem:
                inspection_item_save(item=row, actor=request.user, expected_version=version)
            else:
                adopt(row, finding_save(finding=row, actor=request.user, expected_version=version))

    @admin.action(description=_("Sign the selected inspections"))
    def sign_selected(self, request, queryset):
        done = 0
        for inspection in queryset:
            try:
                with transaction.atomic():
                    inspection_sign(inspection=inspection, actor=request.user)
                done += 1
            except (NotAllowed, ValidationError) as error:
                self.message_user(request, f"{inspection}：{_errors(error)}", messages.ERROR)
        if done:
            text = ngettext("%(n)d inspection signed.", "%(n)d inspections signed.", done) % {"n": done}
            self.message_user(request, text, messages.SUCCESS)


def _yes_no(value) -> str:
    return str(_("yes")) if value else str(_("no"))


# Beyond this many rows of one kind the facts say how many more there are: a county has hundreds of pairings.
FACT_ROWS = 20
LATE = _("late")
NOT_SIGNED = _("not signed")
OVERDUE = _("overdue")
SHORT = _("short of a norm")


def _capped(label, rows: list) -> list:
    """Return `rows` (label, value) up to FACT_ROWS, then one row saying how many more there are."""
    if len(rows) <= FACT_ROWS:
        return rows
    more = _("and %(n)d more") % {"n": len(rows) - FACT_ROWS}
    return [*rows[:FACT_ROWS], (label, more)]


def render_facts(facts: dict, *, frozen: bool):
    """The facts as a short table a reader takes in at a glance: the counts, then what needs looking at — pairings
    short of a norm, agreements unsigned or late, work plans late, problems still open, open rectifications,
    coverage gaps and warnings (each list cut after FACT_ROWS rows)."""
    if not facts:
        return "—"
    head = (_("Frozen at signing, as of %(date)s.") if frozen else _("Live from the system (as of %(date)s).")) % {
        "date": facts.get("as_of")
    }
    lines = [
        (_("compliant pairings"), f"{facts.get('compliant', 0)} / {facts.get('judged', 0)}"),
        (_("activities awaiting confirmation"), facts.get("pending", 0)),
        (_("rejected activities"), facts.get("rejected", 0)),
        (_("activities with reused files"), facts.get("reused_evidence", 0)),
        (_("activities with doubtful photo dates"), facts.get("doubtful_photos", 0)),
    ]
    short = []
    for row in facts.get("compliance", []):
        if row["compliant"]:
            continue
        norms = "，".join(f"{n['label']} {n['count']}/{n['required']}" for n in row["norms"]) or "—"
        short.append((f"{row['helper']}—{row['recipient']}", f"{SHORT}：{norms}"))
    lines += _capped(_("short of a norm"), short)
    agreements = [
        (
            _("agreement") + f" {a['name']}",
            f"{a['signed_on'] or NOT_SIGNED}{' ' + str(LATE) if a['late'] else ''}",
        )
        for a in facts.get("agreements", [])
        if a["late"] or not a["signed_on"]
    ]
    lines += _capped(_("agreement"), agreements)
    plans = [
        (_("work plan") + f" {p['unit']}", f"{p['status']} {p['submitted_on'] or ''} {LATE}")
        for p in facts.get("work_plans", [])
        if p["late"]
    ]
    lines += _capped(_("work plan"), plans)
    problems = [
        (_("problem"), f"{p['problem']} → {p['countermeasure']}（{p['status']}）")
        for p in facts.get("problems", [])
        if p.get("open", True)
    ]
    lines += _capped(_("problem"), problems)
    findings = [
        (
            _("open rectification"),
            f"{f['responsible']}：{f['text']}（{f['deadline']}）{' ' + str(OVERDUE) if f['overdue'] else ''}",
        )
        for f in facts.get("open_findings", [])
    ]
    lines += _capped(_("open rectification"), findings)
    for gap in facts.get("coverage_gaps", []):
        names = gap["uncovered"]
        text = "、".join(names[:FACT_ROWS]) + ("…" if len(names) > FACT_ROWS else "")
        lines.append((_("schools in no pairing") + f"（{gap['stage']}）", f"{len(names)}：{text}"))
    warnings = [(_("warnings") + f" {w['pairing']}", "；".join(w["warnings"])) for w in facts.get("warnings", [])]
    lines += _capped(_("warnings"), warnings)
    rows = format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", ((str(k), v) for k, v in lines))
    return format_html('<p>{}</p><table class="facts">{}</table>', head, rows)


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue")), ("no", _("Not overdue"))]

    def queryset(self, request, queryset):
        overdue = Finding.objects.overdue(timezone.localdate()).values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=overdue)
        if self.value() == "no":
            return queryset.exclude(pk__in=overdue)
        return queryset


class ToFixFilter(admin.SimpleListFilter):
    """Findings still to be fixed (open or reopened), overdue or not: the list a school or bureau works through."""

    title = _("to fix")
    parameter_name = "to_fix"

    def lookups(self, request, model_admin):
        return [("yes", _("Not yet rectified (open or reopened)"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset


class CountyFilter(admin.SimpleListFilter):
    """The county a finding belongs to: the bureau itself or the school's county (the city's list per county)."""

    title = _("county")
    parameter_name = "county"

    def lookups(self, request, model_admin):
        from schools.models import County

        if not scope_of(request.user).everything:
            return []  # a county or a school sees its own findings only
        return [(str(c.pk), str(c)) for c in County.objects.order_by("code")]

    def queryset(self, request, queryset):
        if self.value():
            from django.db.models import Q

            return queryset.filter(Q(county_id=self.value()) | Q(school__county_id=self.value()))
        return queryset


class FindingForm(forms.ModelForm):
    class Meta:
        model = Finding
        fields = [*FINDING_FIELDS, *RECTIFICATION_FIELDS]


@admin.register(Finding)
class FindingAdmin(InspectorAdminMixin, SimpleHistoryAdmin):
    """Findings and their rectification: a county's list for the city, and each school's list of what it must
    fix; the responsible unit records what it did, the city verifies or reopens."""

    form = FindingForm
    list_display = ["text_shown", "responsible_shown", "deadline", "status", "overdue_shown"]
    list_filter = [ToFixFilter, OverdueFilter, "status", CountyFilter]
    list_select_related = ["school", "county"]
    readonly_fields = ["status", "rectified_at", "verified_at", "verification_note"]
    autocomplete_fields = ["school"]
    actions = ["verify_selected", "reopen_selected"]

    @admin.display(description=_("finding"))
    def text_shown(self, obj: Finding) -> str:
        return str(obj)

    @admin.display(description=_("responsible"))
    def responsible_shown(self, obj: Finding) -> str:
        return str(obj.responsible)

    @admin.display(description=_("overdue"))
    def overdue_shown(self, obj: Finding):
        return warning_label(_("overdue")) if obj.overdue else ""

    def may_write(self, request) -> bool:
        scope = scope_of(request.user)
        return may_inspect(request.user) or scope.writes

    def has_add_permission(self, request, *args):
        return super().has_add_permission(request, *args) and may_inspect(request.user)

    @admin.display(description=_("inspection"))
    def inspection_shown(self, obj: Finding):
        # Linked only for those who may open it: a school reads findings about itself made in a county's
        # inspection it does not see.
        inspection = obj.inspection
        viewer = getattr(obj, "_viewer", None)
        if viewer is not None and Inspection.objects.for_user(viewer).filter(pk=inspection.pk).exists():
            url = reverse("admin:inspections_inspection_change", args=[inspection.pk])
            return format_html('<a href="{}">{}</a>', url, inspection)
        return str(inspection)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj._viewer = request.user
        return obj

    def get_fields(self, request, obj=None):
        fields = [*FINDING_FIELDS, *RECTIFICATION_FIELDS, "status", "rectified_at", "verified_at", "verification_note"]
        if obj is not None:
            fields[fields.index("inspection")] = "inspection_shown"
        return fields

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is None:
            return [*fields, *RECTIFICATION_FIELDS]
        fields.append("inspection_shown")
        rectifies = _may_rectify(obj, request.user) and obj.status in OPEN_STATUSES
        records = Inspection.objects.editable_by(request.user).filter(pk=obj.inspection_id).exists()
        if not rectifies:
            fields += list(RECTIFICATION_FIELDS)
        if not (records and obj.status in OPEN_STATUSES) or scope_of(request.user).school_id:
            fields += [f for f in FINDING_FIELDS if f != "inspection"]
        return fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "inspection":
            kwargs["queryset"] = Inspection.objects.editable_by(request.user)  # drafts: findings come before signing
        return _without_related_buttons(super().formfield_for_foreignkey(db_field, request, **kwargs))

    def get_actions(self, request):
        return super().get_actions(request) if may_verify(request.user) else {}

    def save_model(self, request, obj, form, change):
        version = expected_version(form)
        if change and set(form.changed_data) & set(RECTIFICATION_FIELDS) and _may_rectify(obj, request.user):
            adopt(obj, finding_rectify(finding=obj, actor=request.user, expected_version=version))
        else:
            adopt(obj, finding_save(finding=obj, actor=request.user, expected_version=version))

    def _decide(self, request, queryset, accept: bool, note: str = ""):
        if not queryset.exists():
            self.message_user(request, gettext("None of the selected findings awaits verification."), messages.WARNING)
            return None
        done = 0
        for finding in queryset:
            try:
                with transaction.atomic():
                    finding_verify(finding=finding, actor=request.user, accept=accept, note=note)
                done += 1
            except (NotAllowed, ValidationError) as error:
                self.message_user(request, f"{finding}：{_errors(error)}", messages.ERROR)
        if done:
            text = gettext("%(n)d verified.") if accept else gettext("%(n)d reopened for rectification.")
            self.message_user(request, text % {"n": done})

    @admin.action(description=_("Verify the selected rectifications"))
    def verify_selected(self, request, queryset):
        self._decide(request, queryset.filter(status=FindingStatus.RECTIFIED), accept=True)

    @admin.action(description=_("Reopen the selected findings"))
    def reopen_selected(self, request, queryset):
        """Ask the reason on a page of its own, then reopen the selected rectifications with it."""
        rectified = queryset.filter(status=FindingStatus.RECTIFIED).select_related("school", "county")
        reason = request.POST.get("reason", "").strip()
        if "confirm" in request.POST and reason:
            return self._decide(request, rectified, accept=False, note=reason)
        if not rectified.exists():
            return self._decide(request, rectified, accept=False)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Reopen for rectification"),
            "findings": list(rectified),
            "reason": reason,
            "error": gettext("Say why the rectification is not accepted.") if "confirm" in request.POST else "",
        }
        return TemplateResponse(request, "admin/inspections/reopen.html", context)
