"""Uploaded documents (signed agreements, stamped plans): type checked by content, size limited, and
served only to users who may see their record (the apps register which fields hold them)."""

import uuid
from pathlib import PurePath

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models
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

# (model, file field name) of every field that holds protected uploads, registered by the apps that own them.
_protected_uploads: list[tuple[type[models.Model], str]] = []


def register_protected_upload(model: type[models.Model], field_name: str) -> None:
    """Serve the files of `model.field_name` at MEDIA_URL only to users who may see their record.

    `model`'s default manager needs `for_user(user)`; call this from the owning app's `AppConfig.ready()`.
    Registering the same field twice changes nothing.
    """
    if not hasattr(model._default_manager, "for_user"):
        raise ImproperlyConfigured(f"{model._meta.label} has no for_user(); its uploads cannot be scoped.")
    if not isinstance(model._meta.get_field(field_name), models.FileField):
        raise ImproperlyConfigured(f"{model._meta.label}.{field_name} is not a file field.")
    if (model, field_name) not in _protected_uploads:
        _protected_uploads.append((model, field_name))


def protected_uploads() -> list[tuple[type[models.Model], str]]:
    """Return every registered (model, file field name), in the order they were registered."""
    return list(_protected_uploads)


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


def random_upload_name(folder: str, file, filename: str) -> str:
    """Return a random stored name in `folder`, its extension following the content, so that names leak nothing
    and never collide."""
    kind = sniff(file) if file else None
    extension = EXTENSIONS.get(kind, PurePath(filename).suffix.lower()[:8])
    return f"{folder}/{uuid.uuid4().hex}{extension}"


def agreement_scan_path(instance, filename: str) -> str:
    """Store a signed agreement under a random name, so that names leak nothing and never collide."""
    return random_upload_name("agreements", instance.scan, filename)


def work_plan_path(instance, filename: str) -> str:
    """Store a stamped work plan under a random name."""
    return random_upload_name("work_plans", instance.document, filename)
