"""Validators for contact phones and official codes."""

from django.core.validators import RegexValidator
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

# A landline with its area code (0772-2815945, 07722815945, optionally -extension), or an 11-digit mobile.
PHONE_PATTERN = r"^(?:0\d{2,3}-?\d{7,8}(?:-\d{1,6})?|1[3-9]\d{9})$"

validate_phone = RegexValidator(
    PHONE_PATTERN,
    _("Enter a landline with its area code (such as 0772-2815945) or an 11-digit mobile number."),
    code="invalid_phone",
)

validate_school_code = RegexValidator(
    r"^\d{10}$",
    _("The national school code has exactly 10 digits."),
    code="invalid_school_code",
)


def digits_validator(length: int) -> RegexValidator:
    """Return a validator for an administrative-division code of exactly `length` digits."""
    return RegexValidator(
        rf"^\d{{{length}}}$",
        format_lazy(_("The code must have exactly {length} digits."), length=length),
        code="invalid_code",
    )
