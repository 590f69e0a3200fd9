"""Exemplary cases (典型案例, R32): a county bureau writes up a pairing's work with photos chosen for publicity and
nominates it; the city bureau accepts it, and every signed-in user can then read it, or returns it with a reason.

Who may do what:
- a county bureau writes cases for the pairings it sees with a school of its own on either side, the city for any
  pairing; the case belongs to that county (for the city's own, to the recipient's county);
- the county bureau of the case (or the city) changes it, adds and removes photos, and nominates it while it is a
  draft or returned; a nominated or accepted case is no longer changed;
- only the city accepts or returns a nominated case, a return giving its reason;
- schools and inspectors write nothing here.
Each photo is uploaded for the case (never taken from the activity's evidence), must be a JPEG or PNG photo within
the evidence size limit, is stored re-encoded without its metadata (no GPS position), and is refused unless the
county confirms that no child can be identified in it (R24)."""

import datetime
import io
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from liuzhou_pairing.access import require, save_checked, stored_for_update
from liuzhou_pairing.actors import SYSTEM
from liuzhou_pairing.history import record_actor
from liuzhou_pairing.scope import scope_of
from liuzhou_pairing.uploads import EXTENSIONS, PHOTO_KINDS, content_kind, evidence_max_bytes
from pairings.models import Pairing

from .choices import CaseStatus
from .models import CasePhoto, ExemplaryCase

CASE_FIELDS = ("pairing", "activity", "title", "write_up")
OPEN = (CaseStatus.DRAFT, CaseStatus.RETURNED)
WORKFLOW_FIELDS = (
    "county_id", "status", "nominated_by_id", "nominated_on", "accepted_by_id", "accepted_on", "return_reason",
    "is_demo",
)  # fmt: skip
# A photo is stored at most this many pixels on its longer side: plenty for an A4 page, small for the page.
PHOTO_MAX_PIXELS = 2400


def _user(actor: Any) -> Any:
    return actor if actor is not SYSTEM and getattr(actor, "pk", None) else None


def _require_bureau(actor: Any) -> Any:
    """Refuse anyone but the city bureau and a county bureau; return the actor's scope."""
    scope = scope_of(actor)
    require(
        scope.city or (scope.writes and bool(scope.county_id)),
        _("Only a county bureau or the city bureau writes exemplary cases."),
    )
    return scope


def case_may_change(case: ExemplaryCase, actor: Any) -> bool:
    """Return whether `actor` may change `case`, its photos, or nominate it now."""
    return ExemplaryCase.objects.editable_by(actor).filter(pk=case.pk).exists()


def _require_open(stored: ExemplaryCase, actor: Any) -> None:
    """Refuse a change to the stored case unless `actor` writes it (its county or the city) and it is a draft or
    returned."""
    _require_bureau(actor)
    require(
        ExemplaryCase.objects.in_area_of(actor).filter(pk=stored.pk).exists(),
        _("This exemplary case is written by another county bureau; you may not change it."),
    )
    require(
        stored.status in OPEN,
        _("This exemplary case is %(status)s; it is changed only while it is a draft or has been returned.")
        % {"status": stored.get_status_display()},
    )


def _county_of(pairing: Pairing, actor: Any) -> Any:
    """Return the county a new case of `pairing` belongs to: the county bureau's own (it must hold a school of the
    pairing), or for the city the recipient's county (else the helper's)."""
    scope = scope_of(actor)
    if scope.city:
        return pairing.recipient.county or pairing.helper.county
    require(
        Pairing.objects.for_user(actor).filter(pk=pairing.pk).exists()
        and scope.county_id in (pairing.helper.county_id, pairing.recipient.county_id),
        _("A county bureau writes exemplary cases only for pairings with a school of its own."),
    )
    return pairing.helper.county if pairing.helper.county_id == scope.county_id else pairing.recipient.county


@transaction.atomic
def case_save(
    *, case: ExemplaryCase, actor: Any, reason: str = "", expected_version: int | None = None
) -> ExemplaryCase:
    """Save a new or changed exemplary case for `actor` (a county bureau or the city); a new one is a draft."""
    _require_bureau(actor)
    stored = None
    if case.pk:
        stored = stored_for_update(case, expected_version)
        _require_open(stored, actor)
        if stored.pairing_id != case.pairing_id:
            raise ValidationError({"pairing": _("An exemplary case stays with the pairing it was written for.")})
        # Where the case stands is the workflow's to change (nominate, accept, return), never an edit's.
        for name in WORKFLOW_FIELDS:
            setattr(case, name, getattr(stored, name))
    else:
        if case.pairing_id is None:
            raise ValidationError({"pairing": _("Choose the pairing the case is about.")})
        case.county = _county_of(case.pairing, actor)
        case.status = CaseStatus.DRAFT
    return save_checked(case, actor=actor, stored=stored, reason=reason)


def clean_photo(file: Any) -> tuple[ContentFile, str]:
    """Return `file` re-encoded as a photo without metadata (EXIF, GPS), turned upright and at most PHOTO_MAX_PIXELS
    on its longer side, and its kind (jpeg or png); refuse anything but a JPEG or PNG photo within the size limit."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    max_bytes = evidence_max_bytes()
    if file.size > max_bytes:
        raise ValidationError(
            {
                "image": _("The file is %(size)s; the largest accepted is %(max)s.")
                % {"size": filesizeformat(file.size), "max": filesizeformat(max_bytes)}
            }
        )
    kind = content_kind(file)
    if kind not in PHOTO_KINDS:
        raise ValidationError({"image": _("Upload a photo (JPEG or PNG); the content of this file is not one.")})
    try:
        file.seek(0)
        with Image.open(file) as image:
            if image.format != {"jpeg": "JPEG", "png": "PNG"}[kind]:
                raise ValueError(image.format)
            image.load()
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail((PHOTO_MAX_PIXELS, PHOTO_MAX_PIXELS))
            # Nothing of the file but its pixels: Pillow would write back a JPEG comment, a PNG's text chunks,
            # an ICC profile or EXIF kept in `info` (a comment can name a child).
            upright.info = {}
            out = io.BytesIO()
            if kind == "jpeg":
                upright.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
            else:
                clean = upright if upright.mode in ("RGB", "RGBA", "L", "LA", "P") else upright.convert("RGBA")
                clean.save(out, "PNG", optimize=True)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError) as error:
        raise ValidationError({"image": _("This photo cannot be opened; it may be damaged.")}) from error
    finally:
        file.seek(0)
    stem = PurePath(getattr(file, "name", "") or "photo").stem[:60] or "photo"
    return ContentFile(out.getvalue(), name=f"{stem}{EXTENSIONS[kind]}"), kind


@transaction.atomic
def case_photo_add(
    *,
    case: ExemplaryCase,
    image: Any,
    caption: str = "",
    no_child_identifiable: bool = False,
    actor: Any,
    reason: str = "",
) -> CasePhoto:
    """Add a photo to `case` for `actor`, while the case is a draft or returned: refused unless the county confirms
    that no child can be identified in it, and unless it is a JPEG or PNG photo; stored without its metadata."""
    stored = ExemplaryCase.objects.select_for_update().get(pk=case.pk)
    _require_open(stored, actor)
    if not no_child_identifiable:
        raise ValidationError(
            {
                "no_child_identifiable": _(
                    "Confirm for this photo that no student's face or name can be identified in it; a photo "
                    "without this confirmation is not accepted."
                )
            }
        )
    if not image:
        raise ValidationError({"image": _("Choose the photo to upload.")})
    clean, _kind = clean_photo(image)
    photo = CasePhoto(
        case=stored,
        image=clean,
        caption=caption.strip(),
        no_child_identifiable=True,
        uploaded_by=_user(actor),
    )
    try:
        return save_checked(photo, actor=actor, reason=reason)
    except BaseException:
        # The file was written before the last check refused: leave no stray file behind.
        if photo.image and photo.image.name:
            photo.image.storage.delete(photo.image.name)
        raise


@transaction.atomic
def case_photo_remove(*, photo: CasePhoto, actor: Any, reason: str = "", expected_version: int | None = None) -> None:
    """Remove a photo from its case while the case is a draft or returned. The stored file stays (backups, the
    history) but is served no more."""
    stored = stored_for_update(photo, expected_version)
    case = ExemplaryCase.objects.select_for_update().get(pk=stored.case_id)
    _require_open(case, actor)
    record_actor(stored, actor, reason)
    stored.delete()


@transaction.atomic
def case_nominate(
    *, case: ExemplaryCase, actor: Any, expected_version: int | None = None, today: datetime.date | None = None
) -> ExemplaryCase:
    """Nominate a draft or returned case to the city: it needs a write-up and at least one confirmed photo."""
    stored = stored_for_update(case, expected_version)
    _require_open(stored, actor)
    if not stored.write_up.strip():
        raise ValidationError({"write_up": _("Write up the case before nominating it.")})
    if not stored.photos.filter(no_child_identifiable=True).exists():
        raise ValidationError(
            _("Add at least one photo, confirmed to show no identifiable student, before nominating.")
        )
    stored.status = CaseStatus.NOMINATED
    stored.nominated_by, stored.nominated_on = _user(actor), today or timezone.localdate()
    stored.return_reason = ""  # the earlier reason stays in the history
    return save_checked(stored, actor=actor, stored=stored, reason=_("nominated"))


def _require_city_decision(case: ExemplaryCase, actor: Any, expected_version: int | None) -> ExemplaryCase:
    require(scope_of(actor).city, _("Only the city bureau accepts or returns exemplary cases."))
    stored = stored_for_update(case, expected_version)
    require(
        stored.status == CaseStatus.NOMINATED,
        _("This exemplary case is not awaiting acceptance: it is %(status)s.")
        % {"status": stored.get_status_display()},
    )
    return stored


@transaction.atomic
def case_accept(
    *, case: ExemplaryCase, actor: Any, expected_version: int | None = None, today: datetime.date | None = None
) -> ExemplaryCase:
    """Accept a nominated case (the city only): every signed-in user can read it from then on."""
    stored = _require_city_decision(case, actor, expected_version)
    stored.status = CaseStatus.ACCEPTED
    stored.accepted_by, stored.accepted_on = _user(actor), today or timezone.localdate()
    return save_checked(stored, actor=actor, stored=stored, reason=_("accepted"))


@transaction.atomic
def case_return(*, case: ExemplaryCase, actor: Any, reason: str, expected_version: int | None = None) -> ExemplaryCase:
    """Return a nominated case to its county (the city only), with the reason; the county may change it and
    nominate it again."""
    stored = _require_city_decision(case, actor, expected_version)
    if not (reason or "").strip():
        raise ValidationError({"return_reason": _("Give the reason for returning the case.")})
    stored.status = CaseStatus.RETURNED
    stored.return_reason = reason.strip()[:200]
    return save_checked(stored, actor=actor, stored=stored, reason=stored.return_reason)
