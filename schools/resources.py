"""Import/export of areas and schools (xlsx, csv). Every row is validated with `full_clean`; one bad row
rolls back the whole file."""

import threading
from typing import Any

from django.utils import translation
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, widgets
from import_export.instance_loaders import CachedInstanceLoader

from liuzhou_pairing.resources import BaseModelResource, ChoiceWidget, DateWidget, YesNoWidget

from .choices import CountyKind, Location, Ownership, SchoolStatus, SchoolType, Standing, TownshipKind
from .models import County, ManagementArea, School, Township, Village
from .services import SchoolBatch, area_save

COUNTY_COLUMN = "县（区）"
TOWNSHIP_COLUMN = "乡镇（街道）"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class AreaIndex(threading.local):
    """Counties, townships, villages and management areas by every name and code a file may use, read once per
    import file (not once per cell); each thread (a threaded server's request) has its own."""

    def __init__(self) -> None:
        self.loaded = False

    def load(self) -> "AreaIndex":
        self.counties: dict[str, County] = {}
        for county in County.objects.all():
            for name in (county.code, *county.all_names()):
                self.counties.setdefault(name, county)
        townships = list(Township.objects.all())
        self.townships_by_code = {t.code: t for t in townships}
        self.townships = {(t.county_id, t.name): t for t in townships}
        villages = list(Village.objects.all())
        self.villages_by_code = {v.code: v for v in villages}
        self.villages = {(v.township_id, v.name): v for v in villages}
        self.management_areas = {a.name: a for a in ManagementArea.objects.all()}
        self.loaded = True
        return self

    def ready(self) -> "AreaIndex":
        return self if self.loaded else self.load()


# Reloaded at the start of every import (BaseModelResource.before_import → load_lookups).
AREAS = AreaIndex()


class CountyWidget(widgets.ForeignKeyWidget):
    """Find a county-level unit by its code, official name, the plan's short name or a former name."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(County, field="name", **kwargs)

    def lookup(self, text: str) -> County | None:
        return AREAS.ready().counties.get(text)

    def render(self, value: County | None, obj: Any = None, **kwargs: Any) -> str:
        # Files show the name shown everywhere (融水县); every name is read back.
        return value.display_name if value is not None else ""

    def export_values(self, attribute: str) -> tuple[tuple[str, ...], Any]:
        """Return what an export reads from `values_list` for `render`, and how: the county's two names."""

        def shown(short: str | None, name: str | None) -> str:
            return "" if name is None else short or name

        return (f"{attribute}__short_name", f"{attribute}__name"), shown

    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> County | None:
        text = _text(value)
        if not text:
            return None
        county = self.lookup(text)
        if county is None:
            raise ValueError(_("Unknown county “%(value)s”.") % {"value": text})
        return county


class TownshipWidget(widgets.ForeignKeyWidget):
    """Find a township by its 9-digit code, or by its name within the row's county."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(Township, field="name", **kwargs)

    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> Township | None:
        text = _text(value)
        if not text:
            return None
        areas = AREAS.ready()
        if text.isdigit():
            township = areas.townships_by_code.get(text)
            if township is None:
                raise ValueError(_("Unknown township code “%(value)s”.") % {"value": text})
            return township
        county = areas.counties.get(_text((row or {}).get(COUNTY_COLUMN)))
        if county is None:
            raise ValueError(_("Give the county of township “%(value)s”.") % {"value": text})
        township = areas.townships.get((county.pk, text))
        if township is None:
            raise ValueError(_("There is no township “%(value)s” in %(county)s.") % {"value": text, "county": county})
        return township


class VillageWidget(widgets.ForeignKeyWidget):
    """Find a village by its 12-digit code, or by its name within the row's township."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(Village, field="name", **kwargs)

    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> Village | None:
        text = _text(value)
        if not text:
            return None
        areas = AREAS.ready()
        if text.isdigit():
            village = areas.villages_by_code.get(text)
            if village is None:
                raise ValueError(_("Unknown village code “%(value)s”.") % {"value": text})
            return village
        try:
            township = TownshipWidget().clean((row or {}).get(TOWNSHIP_COLUMN), row=row)
        except ValueError:
            township = None
        if township is None:
            raise ValueError(_("Give the township of village “%(value)s”.") % {"value": text})
        village = areas.villages.get((township.pk, text))
        if village is None:
            raise ValueError(
                _("Village “%(value)s” is not in township %(township)s.") % {"value": text, "township": township.name}
            )
        return village


class ManagementAreaWidget(widgets.ForeignKeyWidget):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(ManagementArea, field="name", **kwargs)

    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> ManagementArea | None:
        text = _text(value)
        if not text:
            return None
        area = AREAS.ready().management_areas.get(text)
        if area is None:
            raise ValueError(_("Unknown management area “%(value)s”.") % {"value": text})
        return area


class NamedForeignKeyWidget(widgets.ForeignKeyWidget):
    """Find a related object by its exact name, with a clear message when there is none."""

    def __init__(self, model: type, message: str, **kwargs: Any) -> None:
        self.message = message
        super().__init__(model, field="name", **kwargs)

    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> Any:
        text = _text(value)
        if not text:
            return None
        obj = self.model.objects.filter(name=text).first()
        if obj is None:
            raise ValueError(self.message % {"value": text})
        return obj


class TextWidget(widgets.CharWidget):
    """Read text, turning spreadsheet numbers (4502123456.0) back into their digits."""

    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> str:
        return _text(value)

    def renderer(self):
        """Return `render` for stored values, for exports of many rows."""
        if not self.coerce_to_string:
            return lambda value: value
        return lambda value: "" if value is None else force_str(value)


class AreaLookupsMixin:
    def load_lookups(self, dataset=None) -> None:
        AREAS.load()


class SchoolResource(AreaLookupsMixin, BaseModelResource):
    """The school registry as a spreadsheet, one school per row, keyed by the school's name. The service validates
    every row (full_clean) once."""

    name = fields.Field("name", "学校名称", widget=TextWidget())
    school_code = fields.Field("school_code", "学校标识码", widget=TextWidget())
    school_type = fields.Field("school_type", "学校类型", widget=ChoiceWidget(SchoolType, "学校类型"))
    ownership = fields.Field("ownership", "办学性质", widget=ChoiceWidget(Ownership, "办学性质"))
    location = fields.Field("location", "所在位置", widget=ChoiceWidget(Location, "所在位置"))
    is_central = fields.Field("is_central", "乡镇中心校（园）", widget=YesNoWidget())
    is_city_administered = fields.Field("is_city_administered", "局属学校", widget=YesNoWidget())
    standing = fields.Field("standing", "办学水平", widget=ChoiceWidget(Standing, "办学水平"))
    county = fields.Field("county", COUNTY_COLUMN, widget=CountyWidget())
    management_area = fields.Field("management_area", "管理区", widget=ManagementAreaWidget())
    township = fields.Field("township", TOWNSHIP_COLUMN, widget=TownshipWidget())
    village = fields.Field("village", "村（社区）", widget=VillageWidget())
    address = fields.Field("address", "地址", widget=TextWidget())
    contact_person = fields.Field("contact_person", "联系人", widget=TextWidget())
    contact_phone = fields.Field("contact_phone", "联系电话", widget=TextWidget())
    status = fields.Field("status", "状态", widget=ChoiceWidget(SchoolStatus, "状态"))
    status_date = fields.Field("status_date", "状态变更日期", widget=DateWidget())
    merged_into = fields.Field(
        "merged_into", "并入学校", widget=NamedForeignKeyWidget(School, gettext_lazy("Unknown school “%(value)s”."))
    )
    note = fields.Field("note", "备注", widget=TextWidget())
    is_demo = fields.Field("is_demo", "演示数据", widget=YesNoWidget(), readonly=True)

    # The import template's explanation of the columns that need more than their kind (see liuzhou_pairing.imports),
    # and its example row.
    column_help = {
        "name": gettext_lazy("The school's full name. A row naming a school of the registry changes that school."),
        "school_code": gettext_lazy("The 10-digit national school code, when the school has one."),
        "county": gettext_lazy("The county-level unit: its short name, full name or code."),
        "management_area": gettext_lazy("Only for a school of 柳东新区 or 阳和工业新区."),
        "township": gettext_lazy("The township or street: its name within the county, or its 9-digit code."),
        "village": gettext_lazy("The village or community: its name within the township, or its 12-digit code."),
        "contact_phone": gettext_lazy("A landline with its area code, or an 11-digit mobile number."),
        "merged_into": gettext_lazy("For a merged school: the full name of the school it merged into."),
    }
    template_example = {
        "name": "融水镇第二小学", "school_code": "4502250099", "school_type": "小学", "ownership": "公办",
        "location": "乡镇", "is_central": "否", "is_city_administered": "否", "standing": "一般", "county": "融水县",
        "township": "融水镇", "address": "融水镇寿星路 1 号", "contact_person": "王老师",
        "contact_phone": "0772-5123456", "status": "正常办学",
    }  # fmt: skip

    class Meta:
        model = School
        import_id_fields = ["name"]
        instance_loader_class = CachedInstanceLoader
        fields = [
            "name",
            "school_code",
            "school_type",
            "ownership",
            "location",
            "is_central",
            "is_city_administered",
            "standing",
            "county",
            "management_area",
            "township",
            "village",
            "address",
            "contact_person",
            "contact_phone",
            "status",
            "status_date",
            "merged_into",
            "note",
            "is_demo",
        ]
        clean_model_instances = False
        skip_unchanged = True
        report_skipped = True
        use_transactions = True
        use_bulk = True  # rows are written together by SchoolBatch, without a savepoint each

    def get_queryset(self):
        return School.objects.select_related("county", "township", "village", "management_area", "merged_into")

    def new_batch(self) -> SchoolBatch:
        return SchoolBatch(actor=self.user, preload=True)

    def before_import_row(self, row, **kwargs: Any) -> None:
        # Blank optional choice cells take the model's defaults rather than an empty value.
        for column, default in (
            ("办学性质", Ownership.PUBLIC),
            ("办学水平", Standing.ORDINARY),
            ("状态", SchoolStatus.ACTIVE),
        ):
            if column in row and not _text(row[column]):
                with translation.override("zh-hans"):
                    row[column] = str(default.label)  # shown as the clerk would write it, should the row be refused


class CountyResource(AreaLookupsMixin, BaseModelResource):
    code = fields.Field("code", "区划代码", widget=TextWidget())
    name = fields.Field("name", "名称", widget=TextWidget())
    short_name = fields.Field("short_name", "简称", widget=TextWidget())
    kind = fields.Field("kind", "类别", widget=ChoiceWidget(CountyKind, "类别"))
    former_names = fields.Field("former_names", "曾用名", widget=TextWidget())

    class Meta:
        model = County
        import_id_fields = ["code"]
        fields = ["code", "name", "short_name", "kind", "former_names"]
        clean_model_instances = True
        skip_unchanged = True
        use_transactions = True

    def save_through_service(self, instance: County, *, is_create: bool) -> None:
        area_save(area=instance, actor=self.user)


class TownshipResource(AreaLookupsMixin, BaseModelResource):
    code = fields.Field("code", "区划代码", widget=TextWidget())
    name = fields.Field("name", "名称", widget=TextWidget())
    county = fields.Field("county", COUNTY_COLUMN, widget=CountyWidget())
    kind = fields.Field("kind", "类别", widget=ChoiceWidget(TownshipKind, "类别"))

    class Meta:
        model = Township
        import_id_fields = ["code"]
        fields = ["code", "name", "county", "kind"]
        clean_model_instances = True
        skip_unchanged = True
        use_transactions = True

    def get_queryset(self):
        return Township.objects.select_related("county")

    def save_through_service(self, instance: Township, *, is_create: bool) -> None:
        area_save(area=instance, actor=self.user)


class VillageResource(AreaLookupsMixin, BaseModelResource):
    code = fields.Field("code", "区划代码", widget=TextWidget())
    name = fields.Field("name", "名称", widget=TextWidget())
    township = fields.Field("township", TOWNSHIP_COLUMN, widget=TownshipWidget())
    county = fields.Field("township__county", COUNTY_COLUMN, readonly=True)

    class Meta:
        model = Village
        import_id_fields = ["code"]
        fields = ["code", "name", "county", "township"]
        clean_model_instances = True
        skip_unchanged = True
        use_transactions = True

    def get_queryset(self):
        return Village.objects.select_related("township__county")

    def save_through_service(self, instance: Village, *, is_create: bool) -> None:
        area_save(area=instance, actor=self.user)
