"""Import/export of pairings. Schools are found by national school code or exact name; every row goes through
the rules engine (new pairings through a `PairingBatch`, changed ones through `pairing_update`), and one bad row
rolls back the whole file."""

import threading
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, widgets

from liuzhou_pairing.resources import BaseModelResource, ChoiceWidget, DateWidget
from liuzhou_pairing.scope import scope_of
from schools.choices import Stage
from schools.models import County, School
from schools.resources import AreaLookupsMixin, CountyWidget, TextWidget, _text

from .choices import ArrangedBy, PairingStatus, Tier
from .models import Cycle, Pairing
from .rules import warning_message
from .services import CONTACT_FIELDS, PairingBatch, pairing_editable_fields, pairing_end, pairing_update

CITY_BUREAU = "市教育局"


class Lookups(threading.local):
    """Schools and cycles found by the cells of one file, each distinct cell looked up once (a pairings file names
    the same schools and cycle on many rows). Cleared at the start of every import; each thread has its own."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.schools: dict[str, School | None] = {}
        self.cycles: dict[str, Cycle | None] = {}
        self.live: dict[int, dict[tuple[int, int], int]] = {}

    def prefetch_schools(self, texts: set[str]) -> None:
        """Find the schools a file names (by code or exact name) in two queries."""
        texts = {t for t in texts if t and t not in self.schools}
        by_code = {s.school_code: s for s in School.objects.filter(school_code__in={t for t in texts if t.isdigit()})}
        by_name = {s.name: s for s in School.objects.filter(name__in=texts)}
        for text in texts:
            self.schools[text] = by_code.get(text) or by_name.get(text)

    def live_pairing(self, cycle: Cycle, helper: School, recipient: School) -> int | None:
        """Return the pk of the live pairing of the two schools in `cycle`; the cycle's pairs are read once."""
        if cycle.pk not in self.live:
            pairs = Pairing.objects.live().filter(cycle=cycle).values_list("helper_id", "recipient_id", "pk")
            self.live[cycle.pk] = {(h, r): pk for h, r, pk in pairs}
        return self.live[cycle.pk].get((helper.pk, recipient.pk))

    def school(self, text: str) -> School | None:
        if text not in self.schools:
            school = School.objects.filter(school_code=text).first() if text.isdigit() else None
            self.schools[text] = school or School.objects.filter(name=text).first()
        return self.schools[text]

    def cycle(self, text: str) -> Cycle | None:
        if text not in self.cycles:
            self.cycles[text] = Cycle.objects.filter(name=text).first()
        return self.cycles[text]


LOOKUPS = Lookups()


class SchoolWidget(widgets.ForeignKeyWidget):
    """Find a school by its 10-digit national school code or its exact name."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(School, field="name", **kwargs)

    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> School | None:
        text = _text(value)
        if not text:
            return None
        school = LOOKUPS.school(text)
        if school is None:
            raise ValueError(_("No school has the code or exact name “%(value)s”.") % {"value": text})
        return school


class CycleWidget(widgets.ForeignKeyWidget):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(Cycle, field="name", **kwargs)

    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> Cycle | None:
        text = _text(value)
        if not text:
            return None
        cycle = LOOKUPS.cycle(text)
        if cycle is None:
            raise ValueError(_("Unknown cycle “%(value)s”.") % {"value": text})
        return cycle


class ArrangerWidget(widgets.Widget):
    """The arranging bureau: 市教育局, or a county-level unit by any of its names."""

    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> Any:
        text = _text(value)
        if not text or text == CITY_BUREAU:
            return None
        county = CountyWidget().lookup(text.removesuffix("教育局"))
        if county is None:
            raise ValueError(_("Unknown arranging bureau “%(value)s”.") % {"value": text})
        return county

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return f"{value.display_name}教育局" if value else CITY_BUREAU


class WarningsWidget(widgets.Widget):
    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "；".join(warning_message(code) for code in value or [])


class PairingResource(AreaLookupsMixin, BaseModelResource):
    """Pairings as a spreadsheet, one pairing per row, keyed by cycle, helper and recipient."""

    cycle = fields.Field("cycle", "帮扶周期", widget=CycleWidget())
    stage = fields.Field("stage", "学段", widget=ChoiceWidget(Stage, "学段"))
    tier = fields.Field("tier", "帮扶层级", widget=ChoiceWidget(Tier, "帮扶层级"))
    starts_on = fields.Field("starts_on", "开始日期", widget=DateWidget())
    helper = fields.Field("helper", "帮扶学校", widget=SchoolWidget())
    helper_contact = fields.Field("helper_contact", "帮扶学校联系人", widget=TextWidget())
    helper_phone = fields.Field("helper_phone", "帮扶学校联系电话", widget=TextWidget())
    recipient = fields.Field("recipient", "受援学校", widget=SchoolWidget())
    recipient_contact = fields.Field("recipient_contact", "受援学校联系人", widget=TextWidget())
    recipient_phone = fields.Field("recipient_phone", "受援学校联系电话", widget=TextWidget())
    arranged_by_county = fields.Field("arranged_by_county", "安排单位", widget=ArrangerWidget())
    status = fields.Field("status", "状态", widget=ChoiceWidget(PairingStatus, "状态"))
    end_reason = fields.Field("end_reason", "结束原因", widget=TextWidget())
    is_city_fixed = fields.Field("is_city_fixed", "市局统筹", readonly=True, widget=widgets.Widget())
    warnings = fields.Field("warnings", "预警", readonly=True, widget=WarningsWidget())

    # The import template's explanation of the columns that need more than their kind (see liuzhou_pairing.imports),
    # and its example row.
    column_help = {
        "cycle": gettext_lazy("The cycle's full name, as on its page."),
        "starts_on": gettext_lazy("Blank means the first day of the cycle."),
        "helper": gettext_lazy("The helping school: its 10-digit national school code or its exact full name."),
        "recipient": gettext_lazy("The receiving school: its 10-digit national school code or its exact full name."),
        "helper_phone": gettext_lazy("A landline with its area code, or an 11-digit mobile number."),
        "recipient_phone": gettext_lazy("A landline with its area code, or an 11-digit mobile number."),
        "arranged_by_county": gettext_lazy(
            "市教育局, or a county-level education bureau (融水县教育局). A county bureau may leave it blank: the row "
            "is then its own arrangement."
        ),
        "end_reason": gettext_lazy("Only for a pairing that ends (状态 已结束): why it ends."),
    }
    template_example = {
        "cycle": "2016—2020年结对帮扶", "stage": "义务教育", "tier": "县—乡", "starts_on": "2016-09-01",
        "helper": "融水县第一小学", "helper_contact": "李老师", "helper_phone": "0772-5123456",
        "recipient": "融水镇中心小学", "recipient_contact": "王老师", "recipient_phone": "13800000000",
        "arranged_by_county": "融水县教育局", "status": "帮扶中",
    }  # fmt: skip

    class Meta:
        model = Pairing
        import_id_fields = ["cycle", "helper", "recipient"]
        fields = [
            "cycle",
            "stage",
            "tier",
            "starts_on",
            "helper",
            "helper_contact",
            "helper_phone",
            "recipient",
            "recipient_contact",
            "recipient_phone",
            "arranged_by_county",
            "status",
            "end_reason",
            "is_city_fixed",
            "warnings",
        ]
        skip_unchanged = True
        report_skipped = True
        use_transactions = True
        use_bulk = True  # new pairings are written together by a PairingBatch, without a savepoint each

    def get_queryset(self):
        return Pairing.objects.select_related("cycle", "helper", "recipient", "arranged_by_county")

    def load_lookups(self, dataset=None) -> None:
        super().load_lookups(dataset)
        LOOKUPS.clear()
        if dataset is not None:
            columns = [self.fields[name].column_name for name in ("helper", "recipient")]
            LOOKUPS.prefetch_schools(
                {_text(value) for column in columns if column in dataset.headers for value in dataset[column]}
            )

    def new_batch(self) -> "PairingRows":
        return PairingRows(self)

    def get_instance(self, instance_loader, row):
        # The row's pairing is the live one of that cycle and pair (an ended one stays as a record).
        try:
            cycle = self.fields["cycle"].clean(row)
            helper = self.fields["helper"].clean(row)
            recipient = self.fields["recipient"].clean(row)
        except ValueError:
            return None
        if cycle is None or helper is None or recipient is None:
            return None
        pk = LOOKUPS.live_pairing(cycle, helper, recipient)
        return self.get_queryset().get(pk=pk) if pk is not None else None

    def export_field(self, field, instance, **kwargs: Any) -> Any:
        if field.attribute == "is_city_fixed":
            return "是" if instance.is_city_fixed else "否"
        return super().export_field(field, instance, **kwargs)

    def check_row(self, instance: Pairing, errors: dict) -> dict:
        if getattr(self, "_names_city", False) and "arranged_by_county" not in errors:
            errors["arranged_by_county"] = [
                _(
                    "A county bureau arranges pairings in its own name only; leave 安排单位 blank or write your own "
                    "bureau."
                )
            ]
        # The real reason first: a school named on both sides is refused as such, before the service asks whether
        # the user may arrange a pairing of that school.
        if (
            not errors.keys() & {"helper", "recipient"}
            and instance.helper_id is not None
            and (instance.helper_id == instance.recipient_id)
        ):
            errors["recipient"] = [_("A school cannot help itself.")]
        return errors

    def before_import_row(self, row, **kwargs: Any) -> None:
        if "状态" in row and not _text(row["状态"]):
            with translation.override("zh-hans"):
                row["状态"] = str(PairingStatus.ACTIVE.label)
        # A county bureau's blank arranging unit is the bureau itself: the preview shows the row as it will be saved.
        column = self.fields["arranged_by_county"].column_name
        scope = scope_of(self.user)
        self._names_city = False
        if scope.county_id and scope.writes:
            if not _text(row.get(column)):
                row[column] = self.own_county_name(scope.county_id)
            self._names_city = _text(row.get(column)) == CITY_BUREAU

    def own_county_name(self, county_id: int) -> str:
        """Return the name of the importing bureau's county, read once per resource (not once per row)."""
        names = self.__dict__.setdefault("_county_names", {})
        if county_id not in names:
            names[county_id] = County.objects.get(pk=county_id).name
        return names[county_id]

    def save_through_service(self, instance: Pairing, *, is_create: bool) -> None:
        """Save a changed row's pairing through `pairing_update` (new rows go to the file's PairingBatch)."""
        contacts = {f: getattr(instance, f) for f in CONTACT_FIELDS}
        stored = Pairing.objects.get(pk=instance.pk)
        ending = instance.status == PairingStatus.ENDED and stored.status != PairingStatus.ENDED
        changes = {"stage": instance.stage, "tier": instance.tier, **contacts}
        if instance.starts_on:
            changes["starts_on"] = instance.starts_on
        if instance.arranged_by_county_id is not None or "arranged_by_county" in pairing_editable_fields(self.user):
            # A named arranging unit is a change the service judges; a blank one leaves it as it is for a county.
            changes["arranged_by"] = ArrangedBy.COUNTY if instance.arranged_by_county_id else ArrangedBy.CITY
            changes["arranged_by_county"] = instance.arranged_by_county
        if not ending:
            changes["status"] = instance.status
        stored = pairing_update(pairing=stored, actor=self.user, reason=instance.end_reason, **changes)
        if ending:
            pairing_end(pairing=stored, actor=self.user, on=timezone.localdate(), reason=instance.end_reason)


class PairingRows:
    """The rows of one pairings file: a new pairing is checked by the file's PairingBatch (which reads what the
    rules look up once) and written with the others at the end; a changed one is saved at once."""

    def __init__(self, resource: PairingResource) -> None:
        self.resource = resource
        self.batch = PairingBatch(actor=resource.user, preload=True)

    def __len__(self) -> int:
        return len(self.batch)

    def add(self, instance: Pairing) -> None:
        if instance.pk is not None:
            self.resource.save_through_service(instance, is_create=False)
            return
        # A blank arranging unit is the importing bureau itself (the service decides what that is). The row's own
        # object is filled and written, so that it gets its pk (the admin's log names it).
        self.batch.add(
            into=instance,
            helper=instance.helper,
            recipient=instance.recipient,
            stage=instance.stage,
            tier=instance.tier,
            cycle=instance.cycle,
            arranged_by_county=instance.arranged_by_county,
            status=instance.status,
            starts_on=instance.starts_on,
            **{f: getattr(instance, f) for f in CONTACT_FIELDS},
        )

    def save(self) -> None:
        self.batch.save()
