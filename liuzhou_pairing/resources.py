"""Shared pieces of the import/export resources (django-import-export).

Column headers of import files are Chinese literals on purpose: they are the file format, and a file
exported under one UI language must import under another.
"""

import datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _
from import_export import resources, widgets

from .access import NotAllowed
from .xlsx import escape_formula, unescape_formula


def unescape_dataset(dataset) -> None:
    """Drop the apostrophe an export put before formula-looking text (a CSV file, or a workbook written before
    workbooks used the quote-prefix style), so that a file exported and imported again is unchanged."""
    for index, row in enumerate(dataset):
        cleaned = tuple(unescape_formula(value) for value in row)
        if cleaned != tuple(row):
            dataset[index] = cleaned


# A preview shows each row's changes up to this many rows; a longer file is previewed as counts and refused rows.
PREVIEW_ROWS = 200


def _filled(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def list_choices(labels) -> str:
    """Join choice labels for a message: with 、, or with ； when a label holds 、 itself (听课、学习、研讨)."""
    labels = list(labels)
    return ("；" if any("、" in label for label in labels) else "、").join(labels)


class DateWidget(widgets.DateWidget):
    """Read a date written as text (2016-09-01) or as a workbook's date cell, which reads back as a datetime at
    midnight: a date is stored either way, so that a re-imported date compares equal."""

    # How clerks write dates: 2016-09-01, 2016/9/1 (Excel on Chinese Windows), 2016.9.1, 2016年9月1日.
    FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")

    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> Any:
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        text = str(value if value is not None else "").strip()
        if not text:
            return None
        text = text.split(" ")[0]  # "2016/9/1 0:00" as some spreadsheets write a date
        for fmt in self.FORMATS:
            try:
                return datetime.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - only the date is kept
            except ValueError:
                continue
        raise ValueError(_("Write the date as 2016-09-01 or 2016/9/1, not “%(value)s”.") % {"value": value})


class ImportRefused(Exception):
    """The file as a whole was refused when it was written (a check over all its rows); the message is for the
    user."""


class ChoiceWidget(widgets.Widget):
    """Read a choice by its stored value or by its label (Chinese or English); write the Chinese label."""

    def __init__(self, choices: type[models.TextChoices], label: str, **kwargs: Any) -> None:
        self.choices = choices
        self.label = label
        self._values: dict[str, str] | None = None
        self._labels: dict[str, str] | None = None
        super().__init__(**kwargs)

    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> str:
        text = str(value or "").strip()
        if not text:
            return ""
        if self._values is None:  # read once per widget, not once per cell
            self._values = {}
            for choice in self.choices:
                for language in ("en", "zh-hans"):
                    with translation.override(language):
                        self._values[str(choice.label)] = choice.value
                self._values[choice.value] = choice.value
        if text in self._values:
            return self._values[text]
        with translation.override("zh-hans"):
            allowed = list_choices(str(c.label) for c in self.choices)
        raise ValueError(
            _("Unknown %(label)s “%(value)s”; use one of: %(allowed)s.")
            % {"label": self.label, "value": text, "allowed": allowed}
        )

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        if not value:
            return ""
        return self.labels()[self.choices(value).value]

    def labels(self) -> dict[str, str]:
        """Return the Chinese label of each stored value, read once per widget (not once per cell)."""
        if self._labels is None:
            with translation.override("zh-hans"):
                self._labels = {choice.value: str(choice.label) for choice in self.choices}
        return self._labels

    def renderer(self):
        """Return `render` for stored values as a plain look-up, for exports of many rows."""
        labels = self.labels()
        return lambda value: labels[value] if value else ""


class YesNoWidget(widgets.Widget):
    """Read 是/否 (or true/false, 1/0); blank means no. Write 是 or 否."""

    TRUE = {"是", "true", "1", "yes", "y", "√"}
    FALSE = {"否", "false", "0", "no", "n", ""}

    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> bool:
        text = str(value if value is not None else "").strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValueError(_("Write 是 or 否, not “%(value)s”.") % {"value": value})

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "是" if value else "否"

    def renderer(self):
        return lambda value: "是" if value else "否"


class _UnshownDiff(resources.Diff):
    """A diff that reads and shows nothing, for rows whose changes are not shown."""

    def __init__(self, resource, instance, new) -> None:
        self.new = new

    def compare_with(self, resource, instance) -> None:
        pass

    def as_html(self) -> list:
        return []


def _no_original(memo: dict) -> None:
    """What deep-copying a new row's object gives when no diff is shown (see BaseModelResource.init_instance)."""
    return None


class BaseModelResource(resources.ModelResource):
    """A resource that saves every row through its app's service, as the importing user, and escapes formulas.

    The service decides whether the user may write the row as it will be saved; its refusal becomes the row's
    error, and a file with any bad row writes nothing.

    A resource whose service offers a batch (`new_batch`: an object with `add(instance)`, which checks one row
    and raises for it alone, and `save()`, which writes every row added) has each row checked as it is read and
    the whole file written at the end, in a few statements: set `use_bulk = True` in its Meta so that rows get no
    savepoint each."""

    # Put an apostrophe before formula-looking text. The admin's export turns it off: its writers protect such text
    # themselves (a quote-prefixed cell in a workbook, the apostrophe in CSV).
    escape_formulas = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__()
        self.user = kwargs.get("user")
        self.batch = None
        self._visible: set | None = None

    def before_import(self, dataset, **kwargs: Any) -> None:
        self.user = kwargs.get("user", self.user)
        unescape_dataset(dataset)
        self.load_lookups(dataset)
        self.batch = self.new_batch()
        self._visible = None
        super().before_import(dataset, **kwargs)

    def import_data(self, dataset, dry_run: bool = False, **kwargs: Any):
        # Only the preview of a short file shows each row's changes; confirming does not render them again.
        self.show_diff = dry_run and len(dataset) <= PREVIEW_ROWS
        return super().import_data(dataset, dry_run=dry_run, **kwargs)

    def get_diff_class(self):
        return super().get_diff_class() if getattr(self, "show_diff", True) else _UnshownDiff

    def init_instance(self, row=None):
        instance = super().init_instance(row)
        if not getattr(self, "show_diff", True):
            # django-import-export deep-copies each row's object as the original its diff and skip_row compare
            # with; a new row's original is a blank object that neither reads when no diff is shown, so the copy
            # (a tenth of a big file's import) is skipped. Dropped again in import_instance, before anything else.
            instance.__deepcopy__ = _no_original
        return instance

    def import_instance(self, instance, row, **kwargs: Any) -> None:
        instance.__dict__.pop("__deepcopy__", None)
        # A blank required cell is reported as such, before anything looks the row's object up.
        errors: dict = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        for field in self.required_fields():
            if field.attribute not in errors and field.column_name in row and not _filled(row[field.column_name]):
                errors[field.attribute] = [_("Fill in %(column)s.") % {"column": field.column_name}]
        errors = self.check_row(instance, errors)
        if errors:
            raise ValidationError(errors)

    def check_row(self, instance, errors: dict) -> dict:
        """Return `errors` with what the resource finds wrong in the row's instance before its service sees it."""
        return errors

    def required_fields(self) -> list:
        """Return the fields a row must fill: the import keys, and model fields that may not be blank and have no
        default."""
        if getattr(self, "_required", None) is None:
            keys = set(self._meta.import_id_fields or ())
            self._required = []
            for field in self.get_import_fields():
                if field.readonly or not field.attribute:
                    continue
                try:
                    model_field = self._meta.model._meta.get_field(field.attribute)
                except FieldDoesNotExist:
                    model_field = None
                if field.attribute in keys or (
                    model_field is not None and not model_field.blank and not model_field.has_default()
                ):
                    self._required.append(field)
        return self._required

    def new_batch(self) -> Any:
        """Return the service's batch for this file, or None to save row by row."""
        return None

    def save_instance(self, instance, is_create, row, **kwargs: Any) -> None:
        if self.batch is None:
            return super().save_instance(instance, is_create, row, **kwargs)
        self.before_save_instance(instance, row, **kwargs)
        try:
            self.batch.add(instance)
        except NotAllowed as exc:
            raise ValidationError(str(exc)) from exc
        self.after_save_instance(instance, row, **kwargs)

    def after_import(self, dataset, result, **kwargs: Any) -> None:
        # Write the checked rows, unless a row was refused (the whole file is then rolled back anyway).
        if self.batch is not None and len(self.batch) and not (result.has_errors() or result.has_validation_errors()):
            try:
                self.batch.save()
            except NotAllowed as exc:
                raise ImportRefused(str(exc)) from exc
            except ValidationError as exc:
                raise ImportRefused("；".join(exc.messages)) from exc
        super().after_import(dataset, result, **kwargs)

    def get_field_name(self, field) -> str:
        # django-import-export looks the name up among all the fields for every cell; an export asks it once per
        # cell, so keep the answers.
        names = self.__dict__.setdefault("_field_names", {})
        if id(field) not in names:
            names[id(field)] = super().get_field_name(field)
        return names[id(field)]

    def load_lookups(self, dataset=None) -> None:
        """Read what the file's cells (`dataset`) are looked up in, once per file (not once per cell)."""

    def skip_row(self, instance, original, row, import_validation_errors=None) -> bool:
        if instance.pk is None:
            return False  # a new row is never unchanged
        # An unchanged row is skipped when the user may see its object (a county re-importing its own export);
        # a row naming an object the user may not even see goes to the service, which refuses it.
        if self._visible is None:  # read once per file
            self._visible = set(self._meta.model._default_manager.for_user(self.user).values_list("pk", flat=True))
        if instance.pk not in self._visible:
            return False
        return super().skip_row(instance, original, row, import_validation_errors)

    def export_field(self, field, instance, **kwargs: Any) -> Any:
        value = super().export_field(field, instance, **kwargs)
        return escape_formula(value) if self.escape_formulas else value

    def do_instance_save(self, instance, is_create: bool) -> None:
        try:
            self.save_through_service(instance, is_create=is_create)
        except NotAllowed as exc:
            raise ValidationError(str(exc)) from exc

    def save_through_service(self, instance, *, is_create: bool) -> None:
        raise NotImplementedError("Each resource saves through its app's service.")
