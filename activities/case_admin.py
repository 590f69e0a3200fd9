"""Admin for exemplary cases (典型案例): a county bureau writes a case with its photos and nominates it, the city
accepts or returns it. Every write goes through `activities.cases`."""

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ActionForm
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from liuzhou_pairing.admin import (
    AUTOCOMPLETE_FORWARD_JS,
    VERSION_FIELD,
    ScopedAdminMixin,
    ServiceAdminMixin,
    expected_version,
    forward_to_autocomplete,
    run_each,
)
from liuzhou_pairing.home import county_display_name
from liuzhou_pairing.scope import scope_of

from .cases import (
    CASE_FIELDS,
    case_accept,
    case_may_change,
    case_nominate,
    case_photo_add,
    case_photo_remove,
    case_return,
    case_save,
    clean_photo,
)
from .choices import CaseStatus
from .models import CasePhoto, ExemplaryCase

PHOTO_RULE = _(
    "No student's face or name may be identifiable in the photos: photograph from behind or from afar, or the work "
    "itself, and tick the confirmation for each photo. Upload photos chosen for publicity, not the activity's "
    "evidence files."
)


class CaseAdminForm(forms.ModelForm):
    class Meta:
        model = ExemplaryCase
        fields = list(CASE_FIELDS)


class CasePhotoInline(admin.TabularInline):
    """The case's photos with their captions; removed (through case_photo_remove) while the case may change."""

    model = CasePhoto
    extra = 0
    fields = readonly_fields = ["preview", "caption", "confirmed", "created_at"]
    verbose_name_plural = _("photos")

    @admin.display(description=_("photo"))
    def preview(self, obj: CasePhoto) -> str:
        if not obj.pk or not obj.image:
            return "—"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="{}" style="max-height: 80px"></a>',
            obj.image.url, obj.image.url, obj.caption,
        )  # fmt: skip

    @admin.display(description=_("no child can be identified"))
    def confirmed(self, obj: CasePhoto) -> str:
        return _("confirmed") if obj.no_child_identifiable else "—"

    def get_queryset(self, request):
        return CasePhoto.objects.for_user(request.user)

    def has_view_permission(self, request, obj=None):
        # Not on a new case's page: it has no photos yet.
        return obj is not None and super().has_view_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return obj is not None and case_may_change(obj, request.user)


class CasePhotoUploadForm(forms.ModelForm):
    class Meta:
        model = CasePhoto
        fields = ["image", "caption", "no_child_identifiable"]
        labels = {"no_child_identifiable": _("I confirm: no child can be identified in this photo")}
        help_texts = {"image": _("JPEG or PNG; stored without its location and camera data.")}

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if image:
            clean_photo(image)  # the service checks again; here the refusal shows on its row
        return image

    def clean(self):
        data = super().clean()
        if data.get("image") and not data.get("no_child_identifiable"):
            self.add_error(
                "no_child_identifiable",
                _(
                    "Confirm for this photo that no student's face or name can be identified in it; a photo "
                    "without this confirmation is not accepted."
                ),
            )
        return data


class CasePhotoUploadInline(admin.TabularInline):
    """Rows to upload new photos; each goes through case_photo_add when the case is saved."""

    model = CasePhoto
    form = CasePhotoUploadForm
    fields = ["image", "caption", "no_child_identifiable"]
    extra = 2
    can_delete = False
    verbose_name = _("new photo")
    verbose_name_plural = _("add photos (no student may be identifiable)")

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # One name on the new case's page (no photo list above it) and on a saved case's page alike.
        formset.get_default_prefix = classmethod(lambda cls: "new_photos")
        return formset

    def has_add_permission(self, request, obj=None):
        scope = scope_of(request.user)
        bureau = scope.city or (scope.writes and bool(scope.county_id))
        return bureau and (obj is None or case_may_change(obj, request.user))

    def has_view_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReturnForm(ActionForm):
    reason = forms.CharField(label=_("reason for returning"), required=False, max_length=200)


@admin.register(ExemplaryCase)
class ExemplaryCaseAdmin(ServiceAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    """Cases the user may see: a county bureau its own and the accepted ones, the city all."""

    form = CaseAdminForm
    inlines = [CasePhotoInline, CasePhotoUploadInline]
    action_form = ReturnForm
    actions = ["nominate_selected", "accept_selected", "return_selected"]
    # Three columns (four for the city) fit a 1366-pixel screen beside the filter; the dates are on the case's page.
    list_display = ["title_shown", "pairing", "status_shown"]
    list_filter = ["status"]
    search_fields = ["title", "pairing__helper__name", "pairing__recipient__name"]
    list_select_related = ["pairing__helper", "pairing__recipient", "county"]
    autocomplete_fields = ["pairing", "activity"]
    STATE_FIELDS = ["county_shown", "status", "nominated_on", "accepted_on", "return_reason", "workflow"]
    readonly_fields = STATE_FIELDS

    class Media:
        js = AUTOCOMPLETE_FORWARD_JS

    def get_fieldsets(self, request, obj=None):
        fields = list(CASE_FIELDS)
        # The version the page was opened on (ServiceAdminMixin), carried only on a page the user may save.
        if obj is None or self.has_change_permission(request, obj):
            fields.append(VERSION_FIELD)
        fieldsets = [(None, {"fields": fields, "description": PHOTO_RULE})]
        if obj is not None:
            fieldsets.append((_("Nomination"), {"fields": self.STATE_FIELDS}))
        return fieldsets

    @admin.display(description=_("title"), ordering="title")
    def title_shown(self, obj: ExemplaryCase) -> str:
        # Chinese breaks between any two characters: without a floor the title is squeezed beside the pairing.
        return format_html('<span style="display: inline-block; min-width: 10em">{}</span>', obj.title)

    @admin.display(description=_("status"), ordering="status")
    def status_shown(self, obj: ExemplaryCase) -> str:
        return format_html('<span style="white-space: nowrap">{}</span>', obj.get_status_display())

    def get_list_display(self, request):
        if scope_of(request.user).city:
            return [*self.list_display[:2], "county_shown", *self.list_display[2:]]
        return self.list_display

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None) or {}
        if not scope_of(request.user).city and context.get("action_form") is not None:
            # Only the city returns cases: no reason to give on a county's list.
            context["action_form"].fields.pop("reason", None)
        return response

    @admin.display(description=_("nominating county"), ordering="county__name")
    def county_shown(self, obj: ExemplaryCase) -> str:
        return county_display_name(obj.county) if obj.county_id else "—"

    @admin.display(description=_("nominate, accept or return"))
    def workflow(self, obj: ExemplaryCase) -> str:
        """The buttons the user may press on this case's page; they post to `workflow_view`."""
        if obj.pk is None:
            return "—"
        url = reverse("admin:activities_exemplarycase_workflow", args=[obj.pk])
        scope = getattr(obj, "_viewer_scope", None)
        if obj.status in (CaseStatus.DRAFT, CaseStatus.RETURNED) and getattr(obj, "_may_change", False):
            return format_html(
                '<button type="submit" name="_nominate" formaction="{}" class="button">{}</button>'
                '<p class="help">{}</p>',
                url, _("Nominate to the city bureau"),
                _("Save your changes first. A case is nominated with a write-up and at least one confirmed photo."),
            )  # fmt: skip
        if obj.status == CaseStatus.NOMINATED and scope is not None and scope.city:
            return format_html(
                '<button type="submit" name="_accept" formaction="{}" class="button">{}</button> '
                '<input type="text" name="return_reason" maxlength="200" placeholder="{}" aria-label="{}"> '
                '<button type="submit" name="_return" formaction="{}" class="button">{}</button>',
                url, _("Accept"), _("reason for returning"), _("reason for returning"), url, _("Return"),
            )  # fmt: skip
        return "—"

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            obj._viewer_scope = scope_of(request.user)
            obj._may_change = case_may_change(obj, request.user)
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.STATE_FIELDS
        return [*self.STATE_FIELDS, "pairing"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name in ("pairing", "activity") and formfield is not None:
            # A case names a pairing or activity that exists: no links to add or change one from here.
            wrapper = formfield.widget
            wrapper.can_add_related = wrapper.can_change_related = wrapper.can_delete_related = False
            wrapper.can_view_related = False
        return formfield

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if formfield is not None and db_field.name == "activity":
            # Searched among the activities of the pairing chosen above (registered in ActivitiesConfig.ready).
            forward_to_autocomplete(formfield, "pairing")
        return formfield

    def get_actions(self, request):
        scope = scope_of(request.user)
        actions = super().get_actions(request)
        if not (scope.city or (scope.writes and scope.county_id)):
            return {}
        if not scope.city:
            actions.pop("accept_selected", None)
            actions.pop("return_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        case_save(case=obj, actor=request.user, expected_version=expected_version(form))

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        formset.save(commit=False)
        for photo in formset.deleted_objects:
            case_photo_remove(photo=photo, actor=request.user)
        if not issubclass(formset.form, CasePhotoUploadForm):
            return
        for row_form in formset.forms:
            if row_form.instance.pk or not row_form.has_changed():
                continue
            data = row_form.cleaned_data
            if data.get("image"):
                case_photo_add(
                    case=form.instance,
                    image=data["image"],
                    caption=data.get("caption", ""),
                    no_child_identifiable=bool(data.get("no_child_identifiable")),
                    actor=request.user,
                )

    # --- Nominate, accept, return ------------------------------------------------------------------------

    def get_urls(self):
        workflow = path(
            "<path:object_id>/workflow/",
            self.admin_site.admin_view(self.workflow_view),
            name="activities_exemplarycase_workflow",
        )
        return [workflow, *super().get_urls()]

    def workflow_view(self, request, object_id):
        """Nominate, accept or return one case from its page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        case = self.get_object(request, object_id)
        if case is None:
            raise Http404
        reason = request.POST.get("return_reason", "")
        if "_accept" in request.POST:
            step, done = (lambda c: case_accept(case=c, actor=request.user)), _("The case was accepted.")
        elif "_return" in request.POST:
            done = _("The case was returned.")
            step = lambda c: case_return(case=c, actor=request.user, reason=reason)  # noqa: E731
        else:
            step, done = (lambda c: case_nominate(case=c, actor=request.user)), _("The case was nominated.")
        if self._run(request, [case], step, lambda n: done):
            return HttpResponseRedirect(reverse("admin:activities_exemplarycase_changelist"))
        return HttpResponseRedirect(reverse("admin:activities_exemplarycase_change", args=[case.pk]))

    def _run(self, request, queryset, step, done_message) -> int:
        return run_each(self, request, queryset, step, done_message)

    @admin.action(description=_("Nominate the selected cases to the city bureau"))
    def nominate_selected(self, request, queryset):
        self._run(
            request,
            queryset,
            lambda c: case_nominate(case=c, actor=request.user),
            lambda n: ngettext("%(count)d case nominated.", "%(count)d cases nominated.", n) % {"count": n},
        )

    @admin.action(description=_("Accept the selected cases"))
    def accept_selected(self, request, queryset):
        self._run(
            request,
            queryset,
            lambda c: case_accept(case=c, actor=request.user),
            lambda n: ngettext("%(count)d case accepted.", "%(count)d cases accepted.", n) % {"count": n},
        )

    @admin.action(description=_("Return the selected cases (give the reason)"))
    def return_selected(self, request, queryset):
        reason = request.POST.get("reason", "")
        self._run(
            request,
            queryset,
            lambda c: case_return(case=c, actor=request.user, reason=reason),
            lambda n: ngettext("%(count)d case returned.", "%(count)d cases returned.", n) % {"count": n},
        )
