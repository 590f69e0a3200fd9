"""Uploaded documents (signed agreements, stamped plans, evidence of activities): type checked by content, size
limited, and served only to users who may see their record (the apps register which fields hold them)."""

import datetime
import struct
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
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
    kind = content_kind(file) if file else None
    extension = EXTENSIONS.get(kind, PurePath(filename).suffix.lower()[:8])
    return f"{folder}/{uuid.uuid4().hex}{extension}"


def agreement_scan_path(instance, filename: str) -> str:
    """Store a signed agreement under a random name, so that names leak nothing and never collide."""
    return random_upload_name("agreements", instance.scan, filename)


def work_plan_path(instance, filename: str) -> str:
    """Store a stamped work plan under a random name."""
    return random_upload_name("work_plans", instance.document, filename)


# --- Evidence: photos, PDF and Office documents ----------------------------------------------------------------
#
# Office files are judged as real containers, not by their first bytes alone: a .docx, .xlsx or .pptx is a ZIP that
# must open, hold [Content_Types].xml declaring the main part of its type, and hold that part; an old .doc, .xls or
# .ppt is an OLE2 compound file whose header must be well formed (byte order, sector sizes) and whose directory
# must name the stream of its type. Anything else (a ZIP that is not Office, an installer, macros-enabled files,
# an encrypted document, an executable under any name) is refused.

OOXML_PARTS = {
    "docx": ("word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
    "xlsx": ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
    "pptx": (
        "ppt/presentation.xml",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
    ),
}
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OLE2_STREAMS = {"WordDocument": "doc", "Workbook": "xls", "Book": "xls", "PowerPoint Document": "ppt"}
EXTENSIONS.update({k: f".{k}" for k in ("docx", "xlsx", "pptx", "doc", "xls", "ppt")})
PHOTO_KINDS = ("jpeg", "png")
OFFICE_KINDS = ("docx", "xlsx", "pptx", "doc", "xls", "ppt")
EVIDENCE_KINDS = (*PHOTO_KINDS, "pdf", *OFFICE_KINDS)
_CONTENT_TYPES_MAX_BYTES = 1024 * 1024
_OLE2_FREE_SECTORS = 0xFFFFFFFA  # sector ids from here up are markers (end of chain, free, FAT …), not sectors


def _at_start(file):
    file.seek(0)
    return file


def _ooxml_kind(file) -> str | None:
    """Return docx / xlsx / pptx when `file` is a ZIP holding an Office document's parts, else None."""
    try:
        with zipfile.ZipFile(_at_start(file)) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" not in names:
                return None
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > _CONTENT_TYPES_MAX_BYTES:
                return None
            content_types = archive.read(info).decode("utf-8", errors="replace")
            for kind, (part, content_type) in OOXML_PARTS.items():
                if part in names and content_type in content_types:
                    return kind
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError, KeyError):
        return None
    return None


def _ole2_kind(file) -> str | None:
    """Return doc / xls / ppt when `file` is a well-formed OLE2 compound file holding an Office stream, else None."""
    try:
        return _read_ole2_kind(file)
    except (struct.error, OSError, ValueError, IndexError):
        return None


def _read_ole2_kind(file) -> str | None:
    header = _at_start(file).read(512)
    if len(header) < 512 or not header.startswith(OLE2_MAGIC):
        return None
    _minor, major, byte_order, sector_shift, mini_shift = struct.unpack_from("<HHHHH", header, 24)
    if byte_order != 0xFFFE or (major, sector_shift) not in ((3, 9), (4, 12)) or mini_shift != 6:
        return None
    size = 1 << sector_shift
    fat_count, first_directory = struct.unpack_from("<II", header, 44)
    first_difat, difat_count = struct.unpack_from("<II", header, 68)
    per_sector = size // 4

    def sector(sid: int) -> tuple[int, ...]:
        file.seek((sid + 1) * size)
        data = file.read(size)
        if len(data) != size:
            raise ValueError("short sector")
        return struct.unpack(f"<{per_sector}I", data)

    # The FAT's own sectors: 109 in the header, the rest in a chain of DIFAT sectors.
    fat_sectors = [s for s in struct.unpack_from("<109I", header, 76) if s < _OLE2_FREE_SECTORS]
    difat, seen = first_difat, set()
    while difat < _OLE2_FREE_SECTORS and len(seen) < difat_count:
        if difat in seen:
            return None
        seen.add(difat)
        entries = sector(difat)
        fat_sectors += [s for s in entries[:-1] if s < _OLE2_FREE_SECTORS]
        difat = entries[-1]
    if not fat_sectors or len(fat_sectors) != fat_count:
        return None
    fat = [entry for sid in fat_sectors for entry in sector(sid)]
    # The directory: a chain of sectors of 128-byte entries; the first is the root storage.
    names, sid, visited = [], first_directory, set()
    while sid < _OLE2_FREE_SECTORS:
        if sid in visited or sid >= len(fat):
            return None
        visited.add(sid)
        file.seek((sid + 1) * size)
        data = file.read(size)
        for offset in range(0, len(data) - 127, 128):
            length = struct.unpack_from("<H", data, offset + 64)[0]
            kind = data[offset + 66]
            if not names and kind != 5:
                return None  # the first entry must be the root storage
            if 2 <= length <= 64 and kind in (1, 2, 5):
                names.append((data[offset : offset + length - 2].decode("utf-16-le", errors="replace"), kind))
        sid = fat[sid]
    for name, kind in names:
        if kind == 2 and name in OLE2_STREAMS:
            return OLE2_STREAMS[name]
    return None


def office_kind(file) -> str | None:
    """Return the kind of Office document `file` holds (docx, xlsx, pptx, doc, xls, ppt), judged as a container."""
    position = file.tell() if hasattr(file, "tell") else 0
    try:
        file.seek(0)
        head = file.read(8)
        if head.startswith(b"PK\x03\x04"):
            return _ooxml_kind(file)
        if head == OLE2_MAGIC:
            return _ole2_kind(file)
        return None
    finally:
        file.seek(position)


def content_kind(file) -> str | None:
    """Return the kind of file `file` holds, judged by its content: pdf, png, jpeg, or an Office kind; or None."""
    return sniff(file) or office_kind(file)


@dataclass(frozen=True)
class CheckedEvidence:
    """What an accepted evidence file is: its kind (EVIDENCE_KINDS), the extension it is stored under, and for a
    photo its capture time from EXIF (None when the photo carries none)."""

    kind: str
    extension: str
    taken_at: datetime.datetime | None = None

    @property
    def is_photo(self) -> bool:
        return self.kind in PHOTO_KINDS


def evidence_max_bytes() -> int:
    return getattr(settings, "EVIDENCE_MAX_BYTES", MAX_DOCUMENT_BYTES)


def _exif_datetime(value) -> datetime.datetime | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", errors="replace")
    if not isinstance(value, str):
        return None
    try:
        naive = datetime.datetime.strptime(value.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")  # noqa: DTZ007 - local
    except ValueError:
        return None
    from django.utils import timezone

    # A camera writes its local time: read it in the site's time zone.
    return timezone.make_aware(naive) if settings.USE_TZ else naive


def _photo_taken_at(file, kind: str) -> datetime.datetime | None:
    """Open `file` with Pillow as the image its header claims, decode it, and return its capture time (EXIF
    DateTimeOriginal, else DateTime); refuse a file Pillow cannot open as that image."""
    from PIL import Image, UnidentifiedImageError

    expected = {"jpeg": "JPEG", "png": "PNG"}[kind]
    try:
        with Image.open(_at_start(file)) as image:
            if image.format != expected:
                raise ValueError(image.format)
            image.load()
            exif = image.getexif()
            candidates = (exif.get_ifd(0x8769).get(0x9003), exif.get(0x9003), exif.get(0x0132))
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError) as error:
        raise ValidationError(
            _("This file looks like a %(kind)s image but cannot be opened as one; it may be damaged.")
            % {"kind": expected},
            code="broken_image",
        ) from error
    finally:
        file.seek(0)
    for value in candidates:
        taken_at = _exif_datetime(value)
        if taken_at is not None:
            return taken_at
    return None


def check_evidence(file, max_bytes: int | None = None) -> CheckedEvidence:
    """Accept a photo (JPEG, PNG), a PDF or an Office document (Word, Excel, PowerPoint) up to `max_bytes`
    (settings.EVIDENCE_MAX_BYTES), judged by its content; refuse anything else with a message naming what is
    accepted. A photo must open as the image it claims to be; its capture time is read, never judged here."""
    max_bytes = evidence_max_bytes() if max_bytes is None else max_bytes
    if file.size > max_bytes:
        raise ValidationError(
            _("The file is %(size)s; the largest accepted is %(max)s.")
            % {"size": filesizeformat(file.size), "max": filesizeformat(max_bytes)},
            code="file_too_large",
        )
    kind = content_kind(file)
    if kind not in EVIDENCE_KINDS:
        raise ValidationError(
            _(
                "Upload a photo (JPEG, PNG), a PDF or an Office document (Word, Excel, PowerPoint); the content of "
                "this file is none of these."
            ),
            code="invalid_evidence",
        )
    taken_at = _photo_taken_at(file, kind) if kind in PHOTO_KINDS else None
    return CheckedEvidence(kind=kind, extension=EXTENSIONS[kind], taken_at=taken_at)


# --- Attachments of a work plan: the arrangement tables beside the stamped plan -----------------------------------

ATTACHMENT_KINDS = ("pdf", "png", "jpeg", "xlsx")


@deconstructible
class AttachmentValidator:
    """Accept a PDF, an image (PNG, JPEG) or an Excel workbook (.xlsx: a ZIP holding xl/workbook.xml) up to
    `max_bytes`, judged by content."""

    def __init__(self, max_bytes: int = MAX_DOCUMENT_BYTES) -> None:
        self.max_bytes = max_bytes

    def __call__(self, file) -> None:
        if file.size > self.max_bytes:
            raise ValidationError(
                _("The file is %(size)s; the largest accepted is %(max)s.")
                % {"size": filesizeformat(file.size), "max": filesizeformat(self.max_bytes)},
                code="file_too_large",
            )
        if content_kind(file) not in ATTACHMENT_KINDS:
            raise ValidationError(
                _("Upload a PDF, an image (PNG, JPEG) or an Excel workbook (.xlsx); the content of this file is none "
                  "of these."),
                code="invalid_attachment",
            )  # fmt: skip

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AttachmentValidator) and other.max_bytes == self.max_bytes


validate_attachment = AttachmentValidator()


def work_plan_attachment_path(instance, filename: str) -> str:
    """Store a work plan's attachment under a random name, its extension following the content."""
    return random_upload_name("work_plans", instance.file, filename)
