"""Import/export of activities. A row names its pairing by its two schools (the pairing of the two active on the
row's date, among those the user sees), its participants by their names in each school's staff list (a name not
there yet is created, and shown as new in the preview). Every row is checked as it is read, on `activity_save`'s
terms, by the file's `ActivityBatch`; the new staff (through `staff_save_many`) and the activities are written
together at the end, and one bad row writes nothing, no activity and no staff."""

import datetime
import decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, widgets
from import_export.formats.base_formats import XLSX

from liuzhou_pairing.access import NotAllowed
from liuzhou_pairing.exports import ExportPlan, ValueColumn, export_stem, field_values, write_export
from liuzhou_pairing.resources import BaseModelResource, ChoiceWidget, DateWidget
from pairings.choices import Measure, PairingStatus
from pairings.models import Pairing, semester_label
from pairings.resources import LOOKUPS, SchoolWidget
from schools.resources import TextWidget, _text

from .choices import Confirmation, EnteredBy, Focus, Form, Kind
from .models import Activity, Staff
from .services import ActivityBatch, NamedStaff, staff_from_names, staff_save_many

SIDES = ("helper", "recipient")
NAMES = {"helper": "helper_names", "recipient": "recipient_names"}
# What a row compares with a recorded activity to be "unchanged" (besides pairing, date, kind and participants).
COMPARED = (
    "form", "measure", "focus", "teachers_reached", "students_reached", "description", "donation_items",
    "donation_quantity", "donation_value",
)  # fmt: skip


class CountWidget(widgets.Widget):
    """A number of people or things: a whole number, 0 or more; blank is `blank`."""

    def __init__(self, blank: int | None = 0, **kwargs: Any) -> None:
        self.blank = blank
        super().__init__(**kwargs)

    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> int | None:
        text = _text(value)
        if not text:
            return self.blank
        try:
            number = decimal.Decimal(text)
        except decimal.InvalidOperation:
            number = None
        if number is None or number != number.to_integral_value() or number < 0:
            raise ValueError(_("Write a whole number, 0 or more, not “%(value)s”.") % {"value": text})
        return int(number)

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        return "" if value is None else value

    def renderer(self):
        return lambda value: "" if value is None else value


class AmountWidget(widgets.Widget):
    """An amount in yuan, 0 or more, with at most two decimals; blank is none."""

    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> decimal.Decimal | None:
        text = _text(value).replace(",", "").removesuffix("元")
        if not text:
            return None
        try:
            amount = decimal.Decimal(text)
        except decimal.InvalidOperation:
            amount = None
        if amount is None or amount < 0 or amount != amount.quantize(decimal.Decimal("0.01")):
            raise ValueError(_("Write an amount in yuan, such as 1500 or 1500.50, not “%(value)s”.") % {"value": text})
        return amount.quantize(decimal.Decimal("0.01"))

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        return "" if value is None else str(value)

    def renderer(self):
        return lambda value: "" if value is None else str(value)


class ActivityResource(BaseModelResource):
    """Activities as a spreadsheet, one activity per row. Rows are always new activities: a row the same as a
    recorded activity (pairing, date, kind, participants and every other column) is skipped as unchanged; one that
    differs from it in another column is refused as already recorded. A rejected activity does not count: the same
    row again is a new activity.

    What the rows are looked up in (the user's pairings of the file's schools, their staff, their recorded
    activities) is read once per file; a row is checked without a query of its own, and the file is written at the
    end by `ActivityRows`."""

    helper = fields.Field("helper", "帮扶学校", widget=SchoolWidget())
    recipient = fields.Field("recipient", "受援学校", widget=SchoolWidget())
    date = fields.Field("date", "活动日期", widget=DateWidget())
    kind = fields.Field("kind", "活动类别", widget=ChoiceWidget(Kind, "活动类别"))
    form = fields.Field("form", "帮扶形式", widget=ChoiceWidget(Form, "帮扶形式"))
    measure = fields.Field("measure", "帮扶措施", widget=ChoiceWidget(Measure, "帮扶措施"))
    focus = fields.Field("focus", "工作重点", widget=ChoiceWidget(Focus, "工作重点"))
    helper_names = fields.Field("helper_names", "帮扶学校参与人员", widget=TextWidget())
    recipient_names = fields.Field("recipient_names", "受援学校参与人员", widget=TextWidget())
    teachers_reached = fields.Field("teachers_reached", "受益教师数", widget=CountWidget())
    students_reached = fields.Field("students_reached", "受益学生数", widget=CountWidget())
    description = fields.Field("description", "活动内容", widget=TextWidget())
    donation_items = fields.Field("donation_items", "捐赠物品", widget=TextWidget())
    donation_quantity = fields.Field("donation_quantity", "捐赠数量", widget=CountWidget(blank=None))
    donation_value = fields.Field("donation_value", "捐赠金额（元）", widget=AmountWidget())
    semester = fields.Field("semester", "学期", readonly=True, widget=widgets.Widget())
    status = fields.Field("status", "确认状态", readonly=True, widget=ChoiceWidget(Confirmation, "确认状态"))
    entered_by = fields.Field("entered_by", "录入方", readonly=True, widget=ChoiceWidget(EnteredBy, "录入方"))

    column_help = {
        "helper": gettext_lazy("The helping school: its 10-digit national school code or its exact full name."),
        "recipient": gettext_lazy("The receiving school: its 10-digit national school code or its exact full name."),
        "date": gettext_lazy(
            "The day of the activity (2016-10-10 or 2016/10/10): the pairing of the two schools must have been "
            "active on it."
        ),
        "focus": gettext_lazy(
            "Optional; only one of the pairing's stage: 保教质量 (preschool); 教书育人, 管理育人 or 文化育人 "
            "(compulsory education); 课程改革与质量 (high school); 教育与康复 (special education)."
        ),
        "helper_names": gettext_lazy(
            "The helping school's staff who took part, separated by 、, as 李明、王芳（骨干）、张校长（领导）. A name "
            "not yet in the school's staff list is added to it (as a teacher unless a post is written in brackets: "
            "领导, 骨干 or 教师); a school adds only its own staff."
        ),
        "recipient_names": gettext_lazy(
            "The receiving school's staff who took part, written as for the helping school."
        ),
        "teachers_reached": gettext_lazy("A whole number; blank means 0."),
        "students_reached": gettext_lazy("A whole number; blank means 0."),
        "description": gettext_lazy(
            "What was done. Do not write the names of children or anything that would identify them."
        ),
        "donation_items": gettext_lazy("Required for a donation: what was donated."),
        "donation_quantity": gettext_lazy("For a donation: how many, a whole number."),
        "donation_value": gettext_lazy("For a donation: the value in yuan, such as 1500.50."),
    }
    template_example = {
        "helper": "融水县第一小学", "recipient": "融水镇中心小学", "date": "2016-10-10", "kind": "送教",
        "form": "送教下乡", "measure": "教师发展帮扶", "focus": "教书育人", "helper_names": "李明、王芳（骨干）",
        "recipient_names": "张校长（领导）", "teachers_reached": "12", "students_reached": "40",
        "description": "三年级数学示范课和评课",
    }  # fmt: skip
    template_notes = (
        gettext_lazy(
            "Each row records one activity; it waits for the partner school's confirmation, unless a county or the "
            "city bureau enters it."
        ),
        gettext_lazy(
            "For care for students in difficulty, the numbers of children of each kind are entered on the "
            "activity's page after the import: this file does not take them. Never write a child's name."
        ),
    )

    class Meta:
        model = Activity
        fields = [
            "helper", "recipient", "date", "kind", "form", "measure", "focus", "helper_names", "recipient_names",
            "teachers_reached", "students_reached", "description", "donation_items", "donation_quantity",
            "donation_value", "semester", "status", "entered_by",
        ]  # fmt: skip
        import_id_fields: list[str] = []
        force_init_instance = True  # every row is a new activity
        clean_model_instances = False
        skip_unchanged = True
        report_skipped = True
        use_transactions = True
        use_bulk = True  # rows are written together by ActivityRows, without a savepoint each

    def get_queryset(self):
        return Activity.objects.select_related("pairing__helper", "pairing__recipient", "semester")

    def required_fields(self) -> list:
        if getattr(self, "_required", None) is None:
            super().required_fields()
            self._required = [self.fields["helper"], self.fields["recipient"], *self._required]
        return self._required

    # --- What a file is looked up in, once per file --------------------------------------------------------

    def load_lookups(self, dataset=None) -> None:
        LOOKUPS.clear()
        self.lines: dict[tuple, int] = {}
        self.new_staff: dict[tuple[int, str], Staff] = {}
        self.pairings: dict[tuple[int, int], list[Pairing]] = {}
        self.staff: dict[int, dict[str, Staff]] = {}
        self.recorded: dict[tuple, list[tuple]] = {}
        self.staff_refusals: dict[int, str | None] = {}
        if dataset is None:
            return
        columns = [self.fields[side].column_name for side in SIDES]
        texts = {_text(v) for column in columns if column in dataset.headers for v in dataset[column]}
        LOOKUPS.prefetch_schools(texts)
        schools = {s.pk for s in (LOOKUPS.schools.get(t) for t in texts) if s is not None}
        # The pairings of the file's schools that the user sees (an ended one too: a row's date may precede its end).
        for pairing in (
            Pairing.objects.for_user(self.user)
            .filter(helper_id__in=schools, recipient_id__in=schools)
            .exclude(status=PairingStatus.PROPOSED)
            .select_related("helper", "recipient", "cycle")
        ):
            self.pairings.setdefault((pairing.helper_id, pairing.recipient_id), []).append(pairing)
        for staff in Staff.objects.filter(school_id__in=schools):
            self.staff.setdefault(staff.school_id, {})[staff.name] = staff
        self.load_recorded(sorted(p.pk for pairings in self.pairings.values() for p in pairings))

    def load_recorded(self, pairings: list[int]) -> None:
        """Read the activities recorded for `pairings` (a rejected one does not count), each under its key
        (`_key_of`) with the columns a row is compared on: two queries per 500 pairings."""
        through = Activity.participants.through
        for start in range(0, len(pairings), 500):
            part = pairings[start : start + 500]
            counted = Activity.objects.filter(pairing_id__in=part).exclude(status=Confirmation.REJECTED)
            people: dict[int, set[int]] = {}
            for activity_id, staff_id in through.objects.filter(activity__in=counted).values_list(
                "activity_id", "staff_id"
            ):
                people.setdefault(activity_id, set()).add(staff_id)
            for pk, pairing, date, kind, *compared in counted.values_list(
                "pk", "pairing_id", "date", "kind", *COMPARED
            ):
                key = (pairing, date, kind, frozenset(people.get(pk, ())))
                self.recorded.setdefault(key, []).append(tuple(compared))

    def new_batch(self) -> "ActivityRows":
        return ActivityRows(self)

    def pairing_of(self, helper, recipient, date: datetime.date | None) -> Pairing:
        """Return the user's pairing of `helper` and `recipient` active on `date`; raise ValidationError why not."""
        pairings = self.pairings.get((helper.pk, recipient.pk), [])
        if not pairings:
            raise ValidationError(
                {
                    "recipient": _("You have no pairing in which %(helper)s helps %(recipient)s.")
                    % {"helper": helper.name, "recipient": recipient.name}
                }
            )
        if date is None:
            return pairings[0]
        for pairing in pairings:
            if pairing.starts_on <= date and (pairing.ended_on is None or pairing.ended_on >= date):
                return pairing
        raise ValidationError({"date": _("The pairing of these two schools was not active on this date.")})

    # --- A row ------------------------------------------------------------------------------------------------

    def check_row(self, instance: Activity, errors: dict) -> dict:
        schools = {side: instance.__dict__.get(side) for side in SIDES}
        instance._named = {}
        if None not in schools.values() and not errors.keys() & {"helper", "recipient", "date"}:
            try:
                instance.pairing = self.pairing_of(schools["helper"], schools["recipient"], instance.date)
            except ValidationError as error:
                error.update_error_dict(errors)
        for side, school in schools.items():
            attribute = NAMES[side]
            if school is None or attribute in errors:
                continue
            known = self.staff.setdefault(school.pk, {})
            try:
                named = staff_from_names(
                    instance.__dict__.get(attribute, ""), school, actor=self.user, preview=True, known=known
                )
            except ValidationError as error:
                errors[attribute] = error.messages
                continue
            instance._named[side] = named
            for staff in named.new:  # a later row naming them finds the same (unsaved) staff
                known[staff.name] = staff
            new = [s for s in named.staff if s.pk is None]
            refusal = self.staff_refusal(school, new[0]) if new else None
            if refusal is not None:
                errors[attribute] = [
                    _("%(names)s: not in the staff list of %(school)s, and you may not add them: %(reason)s")
                    % {"names": "、".join(s.name for s in new), "school": school.name, "reason": refusal}
                ]
        if not errors and instance.pairing_id:
            key = self._key(instance)
            if key in self.lines:
                errors["__all__"] = [
                    _("The same activity as line %(line)s of this file (same schools, date, kind and participants).")
                    % {"line": self.lines[key]}
                ]
            else:
                self.lines[key] = self._line
                if self._recorded_differently(instance):
                    errors["__all__"] = [
                        _("This activity is already recorded: same pairing, date, kind and participants.")
                    ]
        return errors

    def staff_refusal(self, school, staff: Staff) -> str | None:
        """Return why the user may not add staff to `school`, or None if they may. `staff_save_many` decides, once
        per school and file: it records `staff` (a copy) inside a savepoint that is then rolled back."""
        if school.pk not in self.staff_refusals:
            refusal = None
            try:
                with transaction.atomic():
                    staff_save_many(staff=[Staff(school=school, name=staff.name, post=staff.post)], actor=self.user)
                    raise _Tried
            except _Tried:
                pass
            except NotAllowed as error:
                refusal = str(error)
            self.staff_refusals[school.pk] = refusal
        return self.staff_refusals[school.pk]

    def before_import_row(self, row, **kwargs: Any) -> None:
        self._line = kwargs.get("row_number", 0) + 1

    def _key(self, instance: Activity) -> tuple:
        people = frozenset((s.school_id, s.name) for named in instance._named.values() for s in named.staff)
        return (instance.pairing_id, instance.date, instance.kind, people)

    def _participants(self, instance: Activity) -> list[Staff]:
        return [s for named in instance._named.values() for s in named.staff]

    def _recorded(self, instance: Activity) -> list[tuple] | None:
        """Return the compared columns of the counted activities recorded as the row's (same pairing, date, kind
        and participants), or None when a participant is new (then nothing recorded can be the same)."""
        participants = self._participants(instance)
        if any(s.pk is None for s in participants):
            return None
        key = (instance.pairing_id, instance.date, instance.kind, frozenset(s.pk for s in participants))
        return self.recorded.get(key)

    def _compared(self, instance: Activity) -> tuple:
        return tuple(getattr(instance, name) for name in COMPARED)

    def _recorded_differently(self, instance: Activity) -> bool:
        recorded = self._recorded(instance)
        return bool(recorded) and self._compared(instance) not in recorded

    def skip_row(self, instance, original, row, import_validation_errors=None) -> bool:
        """Skip a row that is an activity already recorded, column for column (a file exported and imported
        again); a rejected one does not count."""
        if import_validation_errors or not instance.pairing_id:
            return False
        return self._compared(instance) in (self._recorded(instance) or ())

    @property
    def notices(self) -> list[str]:
        """What the preview says besides the counts: the staff the import adds."""
        if not self.new_staff:
            return []
        by_school: dict[str, list[str]] = {}
        for staff in self.new_staff.values():
            by_school.setdefault(staff.school.name, []).append(staff.name)
        return [
            _("Staff to be added to %(school)s: %(names)s.") % {"school": school, "names": "、".join(names)}
            for school, names in by_school.items()
        ]

    # --- Export (and the preview's columns) ----------------------------------------------------------------

    # The participants' names of a chunk of exported rows in one query (`liuzhou_pairing.exports.export_rows`).
    export_prefetch = ("participants",)

    def export_field(self, field, instance, **kwargs: Any) -> Any:
        attribute = field.attribute
        if attribute in SIDES:
            school = instance.__dict__.get(attribute)
            if school is None and instance.pairing_id:
                school = getattr(instance.pairing, attribute)
            return school.name if school is not None else ""
        if attribute in NAMES.values():
            side = "helper" if attribute == "helper_names" else "recipient"
            return self._names(instance, side)
        if attribute == "semester":
            return instance.semester.label if instance.semester_id else ""
        return super().export_field(field, instance, **kwargs)

    def export_plan(self) -> ExportPlan | None:
        """Return the export read from `values_list` rows (`liuzhou_pairing.exports`): the same cells as
        `export_field`, the schools and semester by their names, the participants' names read once per chunk of
        rows (one query), as the objects' prefetch reads them (in the staff's order: school, then name)."""
        names: dict[tuple[int, int], list[str]] = {}

        def read_names(keys: list[int]) -> None:
            names.clear()
            through = Activity.participants.through
            for activity, school, name in (
                through.objects.filter(activity_id__in=keys)
                .order_by("staff__school__name", "staff__name")
                .values_list("activity_id", "staff__school_id", "staff__name")
            ):
                names.setdefault((activity, school), []).append(name)

        def joined(key: int, school: int | None) -> str:
            return "、".join(names.get((key, school), ()))

        def name(value: str | None) -> str:
            return "" if value is None else value

        def label(year: int | None, term: int | None) -> str:
            return "" if year is None else semester_label(year, term)

        # On PostgreSQL the names are joined in the rows' query itself (string_agg), at no query of their own.
        aggregated = connection.vendor == "postgresql"
        annotations = {}
        columns = []
        for field in self.get_export_fields():
            header, attribute = str(field.column_name), field.attribute
            if attribute in SIDES:
                column = ValueColumn(header, (f"pairing__{attribute}__name",), name)
            elif attribute in NAMES.values() and aggregated:
                side = "helper" if attribute == "helper_names" else "recipient"
                annotations[f"export_{attribute}"] = _joined_names(side)
                column = ValueColumn(header, (f"export_{attribute}",), name)
            elif attribute in NAMES.values():
                side = "helper" if attribute == "helper_names" else "recipient"
                column = ValueColumn(header, ("pk", f"pairing__{side}_id"), joined)
            elif attribute == "semester":
                column = ValueColumn(header, ("semester__academic_year", "semester__term"), label)
            else:
                column = field_values(self, field)
            if column is None:
                return None
            columns.append(column)
        if aggregated:
            return ExportPlan(columns, annotations=annotations)
        return ExportPlan(columns, before_chunk=read_names)

    def _names(self, instance: Activity, side: str) -> str:
        named: NamedStaff | None = getattr(instance, "_named", {}).get(side)
        if named is not None:  # a row being imported: the new names marked
            new = {s.name for s in named.staff if s.pk is None or (s.school_id, s.name) in self.new_staff}
            mark = _("new")
            return "、".join(f"{s.name}（{mark}）" if s.name in new else s.name for s in named.staff)
        if not instance.pk or not instance.pairing_id:
            return ""
        school_id = getattr(instance.pairing, f"{side}_id")
        return "、".join(p.name for p in instance.participants.all() if p.school_id == school_id)


def _joined_names(side: str):
    """The names of an activity's participants from its pairing's `side` school, by name, joined with 、 (PostgreSQL
    only)."""
    from django.contrib.postgres.aggregates import StringAgg

    return StringAgg(
        "participants__name",
        "、",
        filter=Q(participants__school_id=F(f"pairing__{side}_id")),
        order_by=("participants__name",),
        default="",
    )


class _Tried(Exception):
    """Rolls back what was recorded only to ask the service whether it may be."""


class ActivityRows:
    """The rows of one activities file: each row's activity is checked by the file's `ActivityBatch` as it is read
    (its new staff not saved yet), and at the end the new staff are recorded through `staff_save_many`, then the
    activities, with their participants."""

    def __init__(self, resource: ActivityResource) -> None:
        self.resource = resource
        self.activities = ActivityBatch(actor=resource.user)
        self.new_staff: dict[tuple[int, str], Staff] = {}

    def __len__(self) -> int:
        return len(self.activities)

    def add(self, instance: Activity) -> None:
        resource = self.resource
        participants = resource._participants(instance)
        self.activities.add(instance, participants)
        for staff in participants:
            if staff.pk is None:
                self.new_staff[(staff.school_id, staff.name)] = staff
                resource.new_staff[(staff.school_id, staff.name)] = staff
        for side in SIDES:  # the preview's columns (read from the instance): the new names marked
            setattr(instance, NAMES[side], resource._names(instance, side))

    def save(self) -> None:
        if self.new_staff:
            staff_save_many(staff=list(self.new_staff.values()), actor=self.resource.user)
        self.activities.save()


def write_activities(queryset, target, progress=None, *, user=None, file_format=XLSX) -> int:
    """Write the activities of `queryset` as the admin's export button does (the import file's columns) to
    `target`; return the number of rows. For the admin and for a background task (a region's semester):

        write_activities(Activity.objects.for_user(user).filter(semester=semester), path_or_binary_file,
                         progress=lambda rows_done: ..., user=user)

    `queryset` is scoped and filtered by the caller; `progress`, when given, is called with the rows written so far
    every few thousand rows and at the end; `file_format` is XLSX or CSV (a text file then, utf-8-sig). Its queries
    are a fixed number and its memory does not grow with the rows."""
    return write_export(
        ActivityResource(user=user), queryset, target, progress, stem=export_stem(Activity), file_format=file_format
    )
