"""Uploaded documents (signed agreements, stamped plans): type checked by content, size limited."""

import uuid
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

# What a file's first bytes must be for each accepted kind; the name's extension is not trusted.
SIGNATURES = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpeg": (b"\xff\xd8\xff",),
}
EXTENSIONS = {"pdf": ".pdf", "png": ".png", "jpeg": ".jpg"}
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


def sniff(file) -> str | None:
    """Return the kind of document `file` holds, judged by its first bytes, or None."""
    position = file.tell() if hasattr(file, "tell") else 0
    file.seek(0)
    head = file.read(16)
    file.seek(position)
    for kind, signatures in SIGNATURES.items():
        if any(head.startswith(s) for s in signatures):
            return kind
    return None


@deconstructible
class DocumentValidator:
    """Accept a PDF or an image (PNG, JPEG) up to `max_bytes`, judged by content."""

    def __init__(self, max_bytes: int = MAX_DOCUMENT_BYTES) -> None:
        self.max_bytes = max_bytes

    def __call__(self, file) -> None:
        if file.size > self.max_bytes:
            raise ValidationError(
                _("The file is %(size)s; the largest accepted is %(max)s.")
                % {"size": filesizeformat(file.size), "max": filesizeformat(self.max_bytes)},
                code="file_too_large",
            )
        if sniff(file) is None:
            raise ValidationError(
                _("Upload a PDF or an image (PNG, JPEG); the content of this file is neither."),
                code="invalid_document",
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DocumentValidator) and other.max_bytes == self.max_bytes


validate_document = DocumentValidator()


def _random_name(folder: str, file, filename: str) -> str:
    kind = sniff(file) if file else None
    extension = EXTENSIONS.get(kind, PurePath(filename).suffix.lower()[:8])
    return f"{folder}/{uuid.uuid4().hex}{extension}"


def agreement_scan_path(instance, filename: str) -> str:
    """Store a signed agreement under a random name, so that names leak nothing and never collide."""
    return _random_name("agreements", instance.scan, filename)


def work_plan_path(instance, filename: str) -> str:
    """Store a stamped work plan under a random name."""
    return _random_name("work_plans", instance.document, filename)
