"""Shared pieces of the import/export resources (django-import-export).

Column headers of import files are Chinese literals on purpose: they are the file format, and a file
exported under one UI language must import under another.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _
from import_export import resources, widgets

from .access import NotAllowed

# Cells starting with these can be run as formulas by spreadsheet programs (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: Any) -> Any:
    """Return `value` made inert for spreadsheets: text that looks like a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class ChoiceWidget(widgets.Widget):
    """Read a choice by its stored value or by its label (Chinese or English); write the Chinese label."""

    def __init__(self, choices: type[models.TextChoices], label: str, **kwargs: Any) -> None:
        self.choices = choices
        self.label = label
        super().__init__(**kwargs)

    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> str:
        text = str(value or "").strip()
        if not text:
            return ""
        for choice in self.choices:
            if text == choice.value or text in self._labels(choice):
                return choice.value
        with translation.override("zh-hans"):
            allowed = "、".join(str(c.label) for c in self.choices)
        raise ValueError(
            _("Unknown %(label)s “%(value)s”; use one of: %(allowed)s.")
            % {"label": self.label, "value": text, "allowed": allowed}
        )

    @staticmethod
    def _labels(choice: models.TextChoices) -> set[str]:
        labels = set()
        for language in ("zh-hans", "en"):
            with translation.override(language):
                labels.add(str(choice.label))
        return labels

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        if not value:
            return ""
        with translation.override("zh-hans"):
            return str(self.choices(value).label)


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


class BaseModelResource(resources.ModelResource):
    """A resource that saves every row through its app's service, as the importing user, and escapes formulas.

    The service decides whether the user may write the row as it will be saved; its refusal becomes the row's
    error, and a file with any bad row writes nothing."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__()
        self.user = kwargs.get("user")

    def before_import(self, dataset, **kwargs: Any) -> None:
        self.user = kwargs.get("user", self.user)
        self.load_lookups()
        super().before_import(dataset, **kwargs)

    def load_lookups(self) -> None:
        """Read what the file's cells are looked up in, once per file (not once per cell)."""

    def skip_row(self, instance, original, row, import_validation_errors=None) -> bool:
        # An unchanged row is skipped when the user may see its object (a county re-importing its own export);
        # a row naming an object the user may not even see goes to the service, which refuses it.
        if (
            instance.pk is not None
            and not self._meta.model._default_manager.for_user(self.user).filter(pk=instance.pk).exists()
        ):
            return False
        return super().skip_row(instance, original, row, import_validation_errors)

    def export_field(self, field, instance, **kwargs: Any) -> Any:
        return escape_formula(super().export_field(field, instance, **kwargs))

    def do_instance_save(self, instance, is_create: bool) -> None:
        try:
            self.save_through_service(instance, is_create=is_create)
        except NotAllowed as exc:
            raise ValidationError(str(exc)) from exc

    def save_through_service(self, instance, *, is_create: bool) -> None:
        raise NotImplementedError("Each resource saves through its app's service.")
