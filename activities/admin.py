"""Admin for staff and activities. Every save, confirmation and rejection goes through `activities.services`."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import ValidationError
from django.db.models import Case, When
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from jobs.exports import BackgroundExportMixin
from liuzhou_pairing.access import NotAllowed
from liuzhou_pairing.admin import (
    AUTOCOMPLETE_FORWARD_JS,
    BigListMixin,
    ImportExportModelAdmin,
    ScopedAdminMixin,
    ScopedInlineMixin,
    ServiceAdminMixin,
    ServiceErrorsMixin,
    adopt,
    changed_forms,
    expected_version,
    forward_to_autocomplete,
    run_each,
    warning_label,
)
from liuzhou_pairing.scope import scope_of
from liuzhou_pairing.uploads import check_evidence, evidence_max_bytes
from schools.models import School

from .choices import Confirmation, Kind, PhotoDate
from .evidence import (
    activities_for_evidence,
    activities_with_evidence_flags,
    evidence_add,
    evidence_may_add,
    evidence_remove,
    evidence_with_flags,
    original_name,
)
from .models import NO_NAMES_HELP, Activity, DifficultyHelp, Evidence, Norm, Staff
from .resources import ActivityResource
from .services import (
    ACTIVITY_FIELDS,
    DIFFICULTY_HELP_FIELDS,
    NORM_FIELDS,
    STAFF_FIELDS,
    activity_confirm,
    activity_editable_fields,
    activity_reject,
    activity_save,
    difficulty_help_save,
    may_decide,
    norm_save,
    parse_names,
    staff_editable_fields,
    staff_from_names,
    staff_save,
)


class ReasonForm(forms.ModelForm):
    reason = forms.CharField(
        label=_("reason for the change"),
        required=False,
        max_length=200,
        help_text=_("Kept in the history. Required when changing a confirmed activity or after entries have closed."),
    )


class StaffAdminForm(ReasonForm):
    class Meta:
        model = Staff
        fields = list(STAFF_FIELDS)


# The activity form's text fields naming participants not yet in a school's staff list.
NAME_FIELDS = ["helper_names", "recipient_names"]


class ActivityAdminForm(ReasonForm):
    helper_names = forms.CharField(
        label=_("other participants of the helping school"),
        required=False,
        max_length=500,
        help_text=_(
            "Names not in the list above, separated by 、, as 李明、王芳（骨干）: they are added to the helping "
            "school's staff (as teachers unless a post is written in brackets: 领导, 骨干 or 教师)."
        ),
    )
    recipient_names = forms.CharField(
        label=_("other participants of the receiving school"),
        required=False,
        max_length=500,
        help_text=_("Names not in the list above, separated by 、, added to the receiving school's staff likewise."),
    )

    def clean_helper_names(self) -> str:
        parse_names(self.cleaned_data["helper_names"])
        return self.cleaned_data["helper_names"]

    def clean_recipient_names(self) -> str:
        parse_names(self.cleaned_data["recipient_names"])
        return self.cleaned_data["recipient_names"]

    class Meta:
        model = Activity
        fields = list(ACTIVITY_FIELDS)


@admin.register(Staff)
class StaffAdmin(ServiceAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    form = StaffAdminForm
    fields = [*STAFF_FIELDS, "reason"]
    list_display = ["name", "school", "post", "phone", "is_active"]
    list_filter = ["post", "is_active"]
    search_fields = ["name", "school__name"]
    list_select_related = ["school"]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        # A reader's page is all read-only: no reason to give.
        if obj is not None and not self.has_change_permission(request, obj):
            return [f for f in fields if f != "reason"]
        return fields

    def get_readonly_fields(self, request, obj=None):
        editable = staff_editable_fields(request.user)
        return [*(["school"] if obj else []), *(f for f in STAFF_FIELDS if f not in editable)]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "school":
            kwargs["queryset"] = School.objects.in_area_of(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        school_id = scope_of(request.user).school_id
        if school_id and "school" not in initial:
            initial["school"] = school_id
        return initial

    def save_model(self, request, obj, form, change):
        staff_save(
            staff=obj,
            actor=request.user,
            reason=form.cleaned_data.get("reason", ""),
            expected_version=expected_version(form),
        )


class DifficultyHelpInline(ScopedInlineMixin, admin.TabularInline):
    model = DifficultyHelp
    extra = 0
    can_delete = False
    fields = list(DIFFICULTY_HELP_FIELDS)
    verbose_name_plural = _("students in difficulty helped (numbers only, never names)")


class AwaitingMeFilter(admin.SimpleListFilter):
    """The partner's activities the user may confirm or reject."""

    title = _("awaiting my confirmation")
    parameter_name = "awaiting"

    def lookups(self, request, model_admin):
        if not scope_of(request.user).writes or scope_of(request.user).city:
            return []
        return [("me", _("Awaiting my confirmation"))]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.awaiting(request.user)
        return queryset


class DecisionForm(ActionForm):
    reason = forms.CharField(label=_("reason for rejecting"), required=False, max_length=200)


@admin.register(Activity)
class ActivityAdmin(BackgroundExportMixin, BigListMixin, ImportExportModelAdmin, SimpleHistoryAdmin):
    resource_classes = [ActivityResource]
    form = ActivityAdminForm
    inlines = [DifficultyHelpInline]
    action_form = DecisionForm
    actions = ["confirm_selected", "reject_selected"]
    # The semester is a filter: six columns do not fit a 1366-pixel screen beside the filters.
    list_display = ["date", "pairing", "kind", "status", "entered_by"]
    list_filter = [AwaitingMeFilter, "status", "kind", "entered_by", "semester"]
    search_fields = ["pairing__helper__name", "pairing__recipient__name"]
    list_select_related = ["pairing__helper", "pairing__recipient", "semester"]
    autocomplete_fields = ["pairing", "participants"]
    date_hierarchy = None
    DECISION_FIELDS = ["semester", "entered_by", "status", "decider", "decided_at", "rejection_reason"]
    readonly_fields = ["decision"]
    fieldsets = [
        (None, {"fields": ["pairing", "date", "kind", "form", "measure", "focus"]}),
        (
            _("Participants and reach"),
            {
                "fields": ["participants", *NAME_FIELDS, "teachers_reached", "students_reached", "description"],
                "description": NO_NAMES_HELP,
            },
        ),
        (_("Donation"), {"fields": ["donation_items", "donation_quantity", "donation_value"]}),
        (_("Confirmation"), {"fields": [*DECISION_FIELDS, "decision", "reason"]}),
    ]

    class Media:
        js = AUTOCOMPLETE_FORWARD_JS

    @admin.display(description=_("confirmed or rejected by"))
    def decider(self, obj: Activity) -> str:
        # Plain text: a link would lead schools to an account page they may not open.
        user = obj.decided_by
        return (user.get_full_name() or user.get_username()) if user is not None else "—"

    @admin.display(description=_("confirm or reject"))
    def decision(self, obj: Activity) -> str:
        """The partner's (or county bureau's) buttons on a pending activity's page; they post to `decide_view`."""
        if not getattr(obj, "_may_decide", False):
            return "—"
        url = reverse("admin:activities_activity_decide", args=[obj.pk])
        evidence = reverse("admin:activities_evidence_add") + f"?activity={obj.pk}"
        return format_html(
            '<input type="text" name="decision_reason" maxlength="200" placeholder="{}" aria-label="{}"> '
            '<button type="submit" name="_confirm" formaction="{}" class="button">{}</button> '
            '<button type="submit" name="_reject" formaction="{}" class="button">{}</button>'
            '<p class="help">{} <a href="{}">{}</a></p>',
            _("reason for rejecting"), _("reason for rejecting"), url, _("Confirm"), url, _("Reject"),
            _("Photos or documents of your own to add before confirming?"), evidence, _("Add evidence files"),
        )  # fmt: skip

    def get_urls(self):
        decide = path(
            "<path:object_id>/decide/",
            self.admin_site.admin_view(self.decide_view),
            name="activities_activity_decide",
        )
        return [decide, *super().get_urls()]

    def decide_view(self, request, object_id):
        """Confirm or reject one activity from its page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        activity = self.get_object(request, object_id)
        if activity is None:
            raise Http404
        if "_reject" in request.POST:
            done = self._decide(
                request,
                [activity],
                lambda a: activity_reject(
                    activity=a, actor=request.user, reason=request.POST.get("decision_reason", "")
                ),
                lambda n: _("The activity was rejected."),
            )
        else:
            done = self._decide(
                request,
                [activity],
                lambda a: activity_confirm(
                    activity=a, actor=request.user, reason=request.POST.get("decision_reason", "")
                ),
                lambda n: _("The activity was confirmed."),
            )
        if done:  # back to what still awaits the user
            return HttpResponseRedirect(reverse("admin:activities_activity_changelist") + "?awaiting=me")
        return HttpResponseRedirect(reverse("admin:activities_activity_change", args=[activity.pk]))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            # A new activity has no confirmation yet (what it becomes is said once it is saved): only the reason.
            hidden = {"decision", *self.DECISION_FIELDS}
            return [(n, {**o, "fields": [f for f in o["fields"] if f not in hidden]}) for n, o in fieldsets]
        if self.has_change_permission(request, obj):
            return fieldsets
        form_only = ("reason", *NAME_FIELDS)
        return [(n, {**o, "fields": [f for f in o["fields"] if f not in form_only]}) for n, o in fieldsets]

    def get_readonly_fields(self, request, obj=None):
        editable = activity_editable_fields(request.user, obj)
        return [*self.DECISION_FIELDS, "decision", *(f for f in ACTIVITY_FIELDS if f not in editable)]

    def get_form(self, request, obj=None, change=False, **kwargs):
        request._activity = obj
        if obj is not None:
            obj._may_decide = may_decide(obj, request.user)
        return super().get_form(request, obj, change=change, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "participants":
            # Only the staff of the pairing's two schools (of all the user's pairings on a new activity).
            staff = Staff.objects.for_user(request.user).filter(is_active=True)
            obj = getattr(request, "_activity", None)
            if obj is not None:
                staff = Staff.objects.filter(school_id__in=[obj.pairing.helper_id, obj.pairing.recipient_id])
            kwargs["queryset"] = staff.select_related("school")
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if formfield is not None and db_field.name == "participants":
            # Searched by name, among the staff of the pairing chosen above (registered in ActivitiesConfig.ready):
            # a list of every name in a county or the city would not fit any page.
            forward_to_autocomplete(formfield, "pairing")
        return formfield

    def get_actions(self, request):
        scope = scope_of(request.user)
        if not scope.writes or scope.city:
            return {}
        return super().get_actions(request)

    def save_model(self, request, obj, form, change):
        request._activity_reason = form.cleaned_data.get("reason", "")
        participants = list(form.cleaned_data.get("participants", obj.participants.all() if obj.pk else []))
        activity_save(
            activity=obj,
            participants=participants + named_participants(obj.pairing, form.cleaned_data, request.user, participants),
            actor=request.user,
            reason=request._activity_reason,
            expected_version=expected_version(form),
        )

    def response_add(self, request, obj, post_url_continue=None):
        # Say what became of the new activity: confirmed on entry by a bureau, or waiting for the partner school.
        if obj.status == Confirmation.CONFIRMED:
            text = _("Entered by the %(who)s, the activity is confirmed on entry and counts towards the norms.") % {
                "who": obj.get_entered_by_display()
            }
        else:
            text = _("The activity waits for the partner school (or a county bureau) to confirm it; it counts once "
                     "confirmed.")  # fmt: skip
        self.message_user(request, text, messages.INFO)
        return super().response_add(request, obj, post_url_continue)

    def save_related(self, request, form, formsets, change):
        # The participants are set by the service; only the rows of children helped remain.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        reason = getattr(request, "_activity_reason", "")
        if formset.model is Evidence:  # uploads and removals of files go through their own service
            return save_evidence_formset(request, formset, reason)
        for row_form, row in changed_forms(formset):
            difficulty_help_save(
                help=row, actor=request.user, reason=reason, expected_version=expected_version(row_form)
            )

    def _decide(self, request, queryset, decide, done_message) -> int:
        return run_each(self, request, queryset, decide, done_message)

    @admin.action(description=_("Confirm the selected activities"))
    def confirm_selected(self, request, queryset):
        self._decide(
            request,
            queryset,
            lambda a: activity_confirm(activity=a, actor=request.user, reason=request.POST.get("reason", "")),
            lambda n: ngettext("%(count)d activity confirmed.", "%(count)d activities confirmed.", n) % {"count": n},
        )

    @admin.action(description=_("Reject the selected activities (give the reason)"))
    def reject_selected(self, request, queryset):
        reason = request.POST.get("reason", "")
        self._decide(
            request,
            queryset,
            lambda a: activity_reject(activity=a, actor=request.user, reason=reason),
            lambda n: ngettext("%(count)d activity rejected.", "%(count)d activities rejected.", n) % {"count": n},
        )


# --- Participants named in text on the activity form ----------------------------------------------------------


def named_participants(pairing, data: dict, actor, ticked: list[Staff]) -> list[Staff]:
    """Return the staff the form's two text fields name, each in its school, creating those not yet in its list
    (inside the form's transaction: nothing stays when the activity is refused); leave out those already ticked."""
    found: list[Staff] = []
    for field, school in zip(NAME_FIELDS, (pairing.helper, pairing.recipient), strict=True):
        try:
            found += staff_from_names(data.get(field, ""), school, actor=actor).staff
        except NotAllowed as error:
            raise ValidationError({field: str(error)}) from error
        except ValidationError as error:
            raise ValidationError({field: error.messages}) from error
    ticked_ids = {s.pk for s in ticked}
    return [s for s in dict.fromkeys(found) if s.pk not in ticked_ids]


# --- Evidence files (佐证材料): listed with their flags on the activity's page and in their own list ------------


def evidence_flag_labels(evidence: Evidence) -> list[str]:
    """The flags inspectors read on an evidence file (never a refusal)."""
    labels = []
    if getattr(evidence, "reused", False):
        labels.append(_("reused file"))
    if evidence.photo_date == PhotoDate.FAR:
        labels.append(_("capture date more than 7 days off"))
    elif evidence.photo_date == PhotoDate.UNDATED:
        labels.append(_("no capture date"))
    return [str(label) for label in labels]


def evidence_flags_html(evidence: Evidence) -> str:
    labels = evidence_flag_labels(evidence)
    return format_html_join(" ", "{}", ((warning_label(label),) for label in labels)) if labels else "—"


def evidence_link(evidence: Evidence) -> str:
    """The file's name as uploaded, as a link to the file (served only to users who see the activity)."""
    if not evidence.file:
        return "—"
    return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', evidence.file.url, evidence)


class EvidenceDisplayMixin:
    @admin.display(description=_("file"))
    def file_link(self, obj: Evidence) -> str:
        return evidence_link(obj) if obj.pk else "—"

    @admin.display(description=_("size"))
    def size_display(self, obj: Evidence) -> str:
        return filesizeformat(obj.size) if obj.pk else "—"

    @admin.display(description=_("flags"))
    def flags(self, obj: Evidence) -> str:
        return evidence_flags_html(obj) if obj.pk else "—"

    @admin.display(description=_("uploaded by"))
    def uploader(self, obj: Evidence) -> str:
        # Plain text: a link would lead schools to accounts they may not open.
        user = obj.uploaded_by
        return (user.get_full_name() or user.get_username()) if user is not None else "—"


class EvidenceInline(EvidenceDisplayMixin, admin.TabularInline):
    """The activity's files with their flags; a user who may change the activity's files may remove them."""

    model = Evidence
    extra = 0
    fields = readonly_fields = ["file_link", "kind", "size_display", "flags", "uploader", "created_at"]
    verbose_name_plural = _("evidence files")

    def get_queryset(self, request):
        # Not InlineModelAdmin's: it asks has_view_permission without the activity, which hides the list on a new
        # activity's page only. Which files a user sees is for_user's to say.
        visible = Evidence.objects.for_user(request.user)
        return evidence_with_flags(visible).select_related("uploaded_by")

    def has_view_permission(self, request, obj=None):
        # Not on a new activity's page: it has no files yet.
        return obj is not None and super().has_view_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Removing goes through evidence_remove, which refuses what the user may not (a partner's file …).
        return obj is not None and scope_of(request.user).writes and evidence_may_add(obj, request.user)


def _evidence_help() -> str:
    return _("Photo (JPEG, PNG), PDF, Word, Excel or PowerPoint, at most %(max)s.") % {
        "max": filesizeformat(evidence_max_bytes())
    }


EVIDENCE_HELP = lazy(_evidence_help, str)()


class EvidenceUploadForm(forms.ModelForm):
    class Meta:
        model = Evidence
        fields = ["file"]
        help_texts = {"file": EVIDENCE_HELP}

    def clean_file(self):
        file = self.cleaned_data.get("file")
        if file:
            # The service checks again; here the refusal shows on its row, naming the file (the browser forgets
            # the chosen files when the page comes back).
            try:
                check_evidence(file)
            except ValidationError as error:
                raise ValidationError([f"{original_name(file.name)}：{m}" for m in error.messages]) from error
        return file


class EvidenceUploadInline(admin.TabularInline):
    """Rows to upload new files; each goes through evidence_add when the activity is saved."""

    model = Evidence
    form = EvidenceUploadForm
    fields = ["file"]
    extra = 3
    can_delete = False
    verbose_name = _("new evidence file")
    verbose_name_plural = _("add evidence files (photos, PDF, Word, Excel, PowerPoint)")

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def has_add_permission(self, request, obj=None):
        allowed = super().has_add_permission(request, obj) and scope_of(request.user).writes
        if obj is None:
            return allowed
        # Only on a page the user saves: on the partner's read-only page (confirm / reject) a chosen file would be
        # lost; the partner adds its files from the link beside the buttons (the evidence list's add page).
        editable = Activity.objects.editable_by(request.user).filter(pk=obj.pk).exists()
        return allowed and editable and evidence_may_add(obj, request.user)

    def has_view_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def save_evidence_formset(request, formset, reason: str) -> None:
    """Send the removals and the new files of an evidence formset through their services."""
    formset.save(commit=False)
    for evidence in formset.deleted_objects:
        evidence_remove(evidence=evidence, actor=request.user, reason=reason)
    for row_form in formset.forms:
        if row_form in formset.deleted_forms or row_form.instance.pk or not row_form.has_changed():
            continue
        file = row_form.cleaned_data.get("file")
        if file:
            evidence_add(activity=row_form.instance.activity, file=file, actor=request.user, reason=reason)


class EvidenceFlagFilter(admin.SimpleListFilter):
    """Activities whose evidence an inspector should look at."""

    title = _("evidence flags")
    parameter_name = "evidence"

    def lookups(self, request, model_admin):
        return [("reused", _("with reused files")), ("photo_date", _("with doubtful photo dates"))]

    def queryset(self, request, queryset):
        if self.value() == "reused":
            return activities_with_evidence_flags(queryset).filter(reused=True)
        if self.value() == "photo_date":
            return activities_with_evidence_flags(queryset).filter(doubtful_photos=True)
        return queryset


class EvidenceReusedFilter(admin.SimpleListFilter):
    title = _("reused file")
    parameter_name = "reused"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(reused=self.value() == "yes")
        return queryset


class EvidenceAddForm(forms.ModelForm):
    reason = forms.CharField(
        label=_("reason for the change"),
        required=False,
        max_length=200,
        help_text=_("Kept in the history. Required for a confirmed activity or after entries have closed."),
    )

    class Meta:
        model = Evidence
        fields = ["activity", "file"]
        help_texts = {"file": EVIDENCE_HELP}

    clean_file = EvidenceUploadForm.clean_file


@admin.register(Evidence)
class EvidenceAdmin(EvidenceDisplayMixin, ServiceErrorsMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    """Every evidence file the user may see, with its flags; a file is added here (to an activity the user may add
    files to, the partner's pending ones included) or on the activity's page, and never changed."""

    form = EvidenceAddForm
    # The name links to the record's page (its flags, fingerprint, the other activities with the same file); the
    # file itself opens from the download column (a link inside the row's link would not work).
    list_display = ["__str__", "download", "activity", "pairing", "flags", "created_at"]
    list_filter = [EvidenceReusedFilter, "photo_date", "kind", "activity__semester"]
    list_select_related = ["activity__pairing__helper", "activity__pairing__recipient"]
    search_fields = ["original_name", "activity__pairing__helper__name", "activity__pairing__recipient__name"]
    VIEW_FIELDS = ["activity", "file_link", "kind", "size_display", "sha256", "taken_at", "photo_date", "flags",
                   "same_file_on", "uploader", "created_at"]  # fmt: skip
    readonly_fields = VIEW_FIELDS

    @admin.display(description=_("file"))
    def download(self, obj: Evidence) -> str:
        if not obj.file:
            return "—"
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', obj.file.url, _("Open"))

    @admin.display(description=_("same file on"))
    def same_file_on(self, obj: Evidence) -> str:
        """The other activities with the same file (复用材料), as links, for inspectors."""
        others = (
            Activity.objects.for_user(getattr(obj, "_viewer", None))
            .filter(evidence__sha256=obj.sha256)
            .exclude(pk=obj.activity_id)
            .select_related("pairing__helper", "pairing__recipient")
            .distinct()[:20]
        )
        links = [(reverse("admin:activities_activity_change", args=[a.pk]), f"{a}（{a.pairing}）") for a in others]
        return format_html_join(mark_safe("<br>"), '<a href="{}">{}</a>', links) if links else "—"

    def get_fields(self, request, obj=None):
        return ["activity", "file", "reason"] if obj is None else self.VIEW_FIELDS

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj._viewer = request.user  # the other activities with the same file are those this user sees
        return obj

    @admin.display(description=_("pairing"), ordering="activity__pairing")
    def pairing(self, obj: Evidence) -> str:
        return str(obj.activity.pairing)

    def get_queryset(self, request):
        return evidence_with_flags(super().get_queryset(request))

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.VIEW_FIELDS

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "activity":
            kwargs["queryset"] = activities_for_evidence(request.user).select_related(
                "pairing__helper", "pairing__recipient"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        saved = evidence_add(
            activity=form.cleaned_data["activity"],
            file=form.cleaned_data["file"],
            actor=request.user,
            reason=form.cleaned_data.get("reason", ""),
        )
        adopt(obj, saved)
        obj.file = saved.file

    def save_related(self, request, form, formsets, change):
        pass


ActivityAdmin.inlines = [*ActivityAdmin.inlines, EvidenceInline, EvidenceUploadInline]
# Beside "awaiting my confirmation", where inspectors see it without scrolling.
ActivityAdmin.list_filter = [*ActivityAdmin.list_filter[:1], EvidenceFlagFilter, *ActivityAdmin.list_filter[1:]]


# --- Norms: the city's, read by every signed-in role -----------------------------------------------------------


class NormAdminForm(forms.ModelForm):
    reason = forms.CharField(
        label=_("reason for the change"),
        required=False,
        max_length=200,
        help_text=_("Kept in the history. Required when changing a norm."),
    )

    class Meta:
        model = Norm
        fields = list(NORM_FIELDS)


@admin.register(Norm)
class NormAdmin(ServiceAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    """The norms of each cycle (规定次数): changed by the city bureau through `norm_save`, read by everyone."""

    form = NormAdminForm
    fields = [*NORM_FIELDS, "reason"]
    # The cycle is a filter: a ninth column does not fit a 1366-pixel screen beside the filters.
    list_display = ["kind", "required", "counts", "side", "key_staff_only", "stage_shown", "tier_shown"]
    list_filter = ["cycle", "kind"]
    # The kinds in the plan's order (挂职锻炼, 派驻指导, 送教 …), not alphabetically by code.
    ordering = ["cycle", Case(*(When(kind=k, then=i) for i, k in enumerate(Kind.values))).asc(), "stage", "tier"]

    @admin.display(description=_("stage"), ordering="stage")
    def stage_shown(self, obj: Norm) -> str:
        return obj.get_stage_display() if obj.stage else _("every stage")

    @admin.display(description=_("tier"), ordering="tier")
    def tier_shown(self, obj: Norm) -> str:
        return obj.get_tier_display() if obj.tier else _("every tier")

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            return [f for f in fields if f != "reason"]
        return fields

    def get_readonly_fields(self, request, obj=None):
        # A norm stays with its cycle: a later cycle gets norms of its own.
        return ["cycle"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        norm_save(
            norm=obj,
            actor=request.user,
            reason=form.cleaned_data.get("reason", ""),
            expected_version=expected_version(form),
        )


# Exemplary cases (典型案例) have their own module; importing it registers their admin.
from . import case_admin  # noqa: E402, F401
