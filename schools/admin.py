"""Admin for areas and schools: search, filters, import/export; writes go through the services."""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from liuzhou_pairing.admin import (
    BigListMixin,
    ImportExportModelAdmin,
    ScopedModelAdmin,
    VersionedInlineMixin,
    changed_forms,
    expected_version,
)
from liuzhou_pairing.scope import scope_of

from .choices import Stage
from .models import County, ManagementArea, School, Township, Village
from .resources import CountyResource, SchoolResource, TownshipResource, VillageResource
from .services import SCHOOL_FIELDS, area_save, school_editable_fields, school_save


class StageFilter(admin.SimpleListFilter):
    """Filter schools by the stage they serve, which follows from their type."""

    title = _("stage")
    parameter_name = "stage"

    def lookups(self, request, model_admin):
        return Stage.choices

    def queryset(self, request, queryset):
        if self.value() in Stage.values:
            return queryset.serving(self.value())
        return queryset


class AreaSaveMixin:
    """Areas are reference data: every save goes through `area_save`, which leaves them to the city."""

    def save_model(self, request, obj, form, change):
        area_save(area=obj, actor=request.user, expected_version=expected_version(form))

    def save_formset(self, request, form, formset, change):
        for area_form, area in changed_forms(formset):
            area_save(area=area, actor=request.user, expected_version=expected_version(area_form))


class ManagementAreaInline(VersionedInlineMixin, admin.TabularInline):
    model = ManagementArea
    extra = 0
    can_delete = False


@admin.register(County)
class CountyAdmin(AreaSaveMixin, ImportExportModelAdmin):
    resource_classes = [CountyResource]
    list_display = ["code", "name", "short_name", "kind", "former_names", "township_count", "school_count"]
    search_fields = ["code", "name", "short_name", "former_names"]
    list_filter = ["kind"]
    inlines = [ManagementAreaInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(township_total=Count("townships", distinct=True), school_total=Count("schools", distinct=True))
        )

    @admin.display(description=_("townships"), ordering="township_total")
    def township_count(self, obj: County) -> int:
        return obj.township_total

    @admin.display(description=_("schools"), ordering="school_total")
    def school_count(self, obj: County) -> int:
        return obj.school_total


@admin.register(ManagementArea)
class ManagementAreaAdmin(AreaSaveMixin, ScopedModelAdmin):
    list_display = ["name", "county"]
    search_fields = ["name"]


@admin.register(Township)
class TownshipAdmin(AreaSaveMixin, ImportExportModelAdmin):
    resource_classes = [TownshipResource]
    list_display = ["code", "name", "county", "kind"]
    list_filter = ["county", "kind"]
    search_fields = ["code", "name", "county__name", "county__short_name"]
    list_select_related = ["county"]
    autocomplete_fields = ["county"]


@admin.register(Village)
class VillageAdmin(AreaSaveMixin, ImportExportModelAdmin):
    resource_classes = [VillageResource]
    list_display = ["code", "name", "township", "county"]
    list_filter = ["township__county"]
    search_fields = ["code", "name", "township__name"]
    list_select_related = ["township__county"]
    autocomplete_fields = ["township"]

    @admin.display(description=_("county"), ordering="township__county__code")
    def county(self, obj: Village) -> County:
        return obj.township.county


@admin.register(School)
class SchoolAdmin(BigListMixin, ImportExportModelAdmin, SimpleHistoryAdmin):
    resource_classes = [SchoolResource]
    list_display = [
        "name",
        "school_type",
        "stages",
        "ownership",
        "location",
        "county",
        "township",
        "is_central",
        "standing",
        "status",
        "is_demo",
    ]
    list_filter = [
        ("county", admin.RelatedOnlyFieldListFilter),
        StageFilter,
        "school_type",
        "location",
        "ownership",
        "status",
        "standing",
        "is_central",
        "is_city_administered",
        "is_demo",
    ]
    search_fields = ["name", "school_code", "address", "contact_person"]
    list_select_related = ["county", "township"]
    autocomplete_fields = ["county", "township", "village", "merged_into"]
    readonly_fields = ["is_demo"]
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["name", "school_code", "school_type", "ownership", "standing", "is_demo"]}),
        (
            _("Where it is"),
            {"fields": ["location", "county", "management_area", "township", "village", "address"]},
        ),
        (_("Role in pairing"), {"fields": ["is_central", "is_city_administered"]}),
        (_("Contact"), {"fields": ["contact_person", "contact_phone"]}),
        (_("Status"), {"fields": ["status", "status_date", "merged_into", "note"]}),
    ]

    @admin.display(description=_("stages"))
    def stages(self, obj: School) -> str:
        return obj.get_stages_display()

    def get_readonly_fields(self, request, obj=None):
        # What a user may set is decided by the service; the form shows the rest read-only.
        editable = school_editable_fields(request.user)
        return [*super().get_readonly_fields(request, obj), *(f for f in SCHOOL_FIELDS if f not in editable)]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        scope = scope_of(request.user)
        if scope.county_id and db_field.name == "county":
            kwargs["queryset"] = County.objects.filter(pk=scope.county_id)
        elif scope.county_id and db_field.name in ("township", "management_area"):
            kwargs["queryset"] = db_field.related_model.objects.filter(county_id=scope.county_id)
        elif scope.county_id and db_field.name == "village":
            kwargs["queryset"] = Village.objects.filter(township__county_id=scope.county_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        school_save(school=obj, actor=request.user, expected_version=expected_version(form))
