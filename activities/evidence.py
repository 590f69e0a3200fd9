"""Evidence of activities (佐证材料): adding and removing files through the activity's rights, and the flags
inspectors read — the same file on another activity (复用材料), a photo taken far from the activity's date, a photo
with no capture date. The flags never refuse a file; only its content and size do (liuzhou_pairing.uploads).

Who may add or remove evidence:
- the school whose side entered the activity, while it may change the activity (not confirmed, entries open);
- the partner school too while the activity awaits its confirmation (it took part and may hold the photos), so
  that it can look at the files before confirming; not once it is confirmed or rejected;
- the county bureau of either school and the city bureau at any time, with a reason once the activity is
  confirmed or the entries have closed.
A school removes only files uploaded by its own users; a bureau any file of its area."""

import datetime
import hashlib
from pathlib import PurePath
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from liuzhou_pairing.access import NotAllowed, require, save_checked, save_checked_many, stored_for_update
from liuzhou_pairing.actors import SYSTEM
from liuzhou_pairing.history import record_actor
from liuzhou_pairing.scope import scope_of
from liuzhou_pairing.uploads import OFFICE_KINDS, PHOTO_KINDS, check_evidence

from .choices import Confirmation, EvidenceKind, PhotoDate
from .models import Activity, Evidence
from .services import _bureau, _require_may_edit, _require_window, _side_of, _today

# A photo taken more than this many days from the activity's date is flagged for inspectors.
PHOTO_DATE_TOLERANCE_DAYS = 7
ORIGINAL_NAME_MAX = 200


def evidence_kind(kind: str) -> str:
    """Return the EvidenceKind of a file kind the kernel recognised (jpeg, pdf, docx …)."""
    if kind in PHOTO_KINDS:
        return EvidenceKind.PHOTO
    if kind in OFFICE_KINDS:
        return EvidenceKind.OFFICE
    return EvidenceKind.PDF


def photo_date(taken_at: datetime.datetime | None, activity_date: datetime.date) -> str:
    """Return how a photo's capture time stands against the activity's date (PhotoDate)."""
    if taken_at is None:
        return PhotoDate.UNDATED
    taken_on = timezone.localtime(taken_at).date() if timezone.is_aware(taken_at) else taken_at.date()
    return PhotoDate.FAR if abs((taken_on - activity_date).days) > PHOTO_DATE_TOLERANCE_DAYS else PhotoDate.NEAR


def original_name(name: str) -> str:
    """Return the file's own name as uploaded (no folders), at most 200 characters, keeping its extension."""
    name = PurePath(name or "").name or "-"
    if len(name) <= ORIGINAL_NAME_MAX:
        return name
    suffix = PurePath(name).suffix[:16]
    return name[: ORIGINAL_NAME_MAX - len(suffix)] + suffix


def digest(file) -> tuple[str, int]:
    """Return the SHA-256 (hex) and size of `file`, read in chunks."""
    sha256, size = hashlib.sha256(), 0
    for chunk in file.chunks() if hasattr(file, "chunks") else iter(lambda: file.read(64 * 1024), b""):
        sha256.update(chunk)
        size += len(chunk)
    file.seek(0)
    return sha256.hexdigest(), size


def _partner_of_pending(activity: Activity, actor: Any) -> bool:
    """Return whether `actor` is the school that did not enter the pending `activity` (the one to confirm it)."""
    scope = scope_of(actor)
    if _bureau(scope) or not (scope.writes and scope.school_id) or activity.status != Confirmation.PENDING:
        return False
    pairing = activity.pairing
    if scope.school_id not in (pairing.helper_id, pairing.recipient_id):
        return False
    return activity.entered_by != _side_of(actor, pairing)


def _require_may_attach(activity: Activity, actor: Any, today: datetime.date, reason: str) -> None:
    """Refuse `actor` adding or removing evidence of `activity`: the activity's own rights (`_require_may_edit`),
    widened to the partner school of a pending activity while entries are open."""
    if _partner_of_pending(activity, actor):
        _require_window(actor, activity.semester, today, reason)
    else:
        _require_may_edit(activity, actor, today, reason)


def evidence_may_add(activity: Activity, actor: Any, today: datetime.date | None = None) -> bool:
    """Return whether `actor` may add evidence to `activity` now (a bureau giving a reason where one is needed)."""
    try:
        _require_may_attach(activity, actor, _today(today), reason="-")
    except NotAllowed:
        return False
    return True


def activities_for_evidence(actor: Any, today: datetime.date | None = None) -> QuerySet[Activity]:
    """Return the activities `actor` may add evidence to: those it may change, and for a school the pending ones
    its partner entered while entries are open."""
    scope = scope_of(actor)
    editable = Activity.objects.editable_by(actor, today=today)
    if _bureau(scope) or not (scope.writes and scope.school_id):
        return editable
    awaiting = Activity.objects.awaiting(actor).filter(semester__entry_closes_on__gte=_today(today))
    return Activity.objects.filter(pk__in=editable.values("pk")) | Activity.objects.filter(
        pk__in=awaiting.values("pk")
    )


@transaction.atomic
def evidence_add(
    *, activity: Activity, file: Any, actor: Any, reason: str = "", today: datetime.date | None = None
) -> Evidence:
    """Attach `file` to `activity` for `actor`: its type judged by content, its size limited, its SHA-256, kind
    and photo date recorded. Refused (nothing stored) when the actor may not, or the file is not accepted."""
    activity = Activity.objects.select_for_update().select_related("pairing", "semester").get(pk=activity.pk)
    _require_may_attach(activity, actor, _today(today), reason)
    checked = check_evidence(file)
    sha256, size = digest(file)
    evidence = Evidence(
        activity=activity,
        file=file,
        kind=evidence_kind(checked.kind),
        original_name=original_name(getattr(file, "name", "")),
        size=size,
        sha256=sha256,
        taken_at=checked.taken_at,
        photo_date=photo_date(checked.taken_at, activity.date) if checked.is_photo else PhotoDate.NOT_A_PHOTO,
        uploaded_by=actor if actor is not SYSTEM and getattr(actor, "pk", None) else None,
    )
    try:
        save_checked(evidence, actor=actor, reason=reason)
    except BaseException:
        # The file was written before the last check refused: leave no stray file behind.
        if evidence.file.name and evidence.file._committed:
            evidence.file.storage.delete(evidence.file.name)
        raise
    return evidence


@transaction.atomic
def evidence_remove(
    *,
    evidence: Evidence,
    actor: Any,
    reason: str = "",
    expected_version: int | None = None,
    today: datetime.date | None = None,
) -> None:
    """Remove an evidence file from its activity, on the activity's terms (a confirmed activity only by a bureau,
    with the reason kept in the history). A school removes only files its own users uploaded. The stored file
    stays in MEDIA_ROOT (backups, the history) but is served no more."""
    stored = stored_for_update(evidence, expected_version)
    activity = Activity.objects.select_for_update().select_related("pairing", "semester").get(pk=stored.activity_id)
    _require_may_attach(activity, actor, _today(today), reason)
    scope = scope_of(actor)
    if not _bureau(scope):
        uploader = scope_of(stored.uploaded_by) if stored.uploaded_by_id else None
        require(
            uploader is not None and uploader.school_id == scope.school_id,
            _("A school removes only the files its own staff uploaded."),
        )
    record_actor(stored, actor, reason)
    stored.delete()


def evidence_follow_date(*, activity: Activity, actor: Any, reason: str = "") -> int:
    """Judge the activity's photos again against its date, after the date changed (so that moving an activity
    away from its photos shows). Called by `activity_save`, inside its transaction; returns how many changed."""
    changed = []
    for evidence in Evidence.objects.filter(activity_id=activity.pk, kind=EvidenceKind.PHOTO, taken_at__isnull=False):
        judged = photo_date(evidence.taken_at, activity.date)
        if judged != evidence.photo_date:
            evidence.photo_date = judged
            changed.append(evidence)
    save_checked_many(changed, actor=actor, stored={e.pk: e for e in changed}, reason=reason)
    return len(changed)


# --- Flags (selectors) ---------------------------------------------------------------------------------------


def _same_file_elsewhere() -> Exists:
    """For an evidence row (outer query): another activity has a file with the same SHA-256."""
    return Exists(Evidence.objects.filter(sha256=OuterRef("sha256")).exclude(activity_id=OuterRef("activity_id")))


def evidence_with_flags(queryset: QuerySet[Evidence] | None = None) -> QuerySet[Evidence]:
    """Annotate each evidence row with `reused`: the same file (SHA-256) is attached to another activity. Computed
    live in the one query, so the first upload is flagged too once a second exists."""
    queryset = Evidence.objects.all() if queryset is None else queryset
    return queryset.annotate(reused=_same_file_elsewhere())


def activities_with_evidence_flags(queryset: QuerySet[Activity] | None = None) -> QuerySet[Activity]:
    """Annotate each activity with `reused` (one of its files is attached to another activity too) and
    `doubtful_photos` (one of its photos was taken far from its date, or carries no capture date)."""
    queryset = Activity.objects.all() if queryset is None else queryset
    reused = Evidence.objects.filter(activity_id=OuterRef("pk")).filter(_same_file_elsewhere())
    doubtful = Evidence.objects.filter(activity_id=OuterRef("pk"), photo_date__in=[PhotoDate.FAR, PhotoDate.UNDATED])
    return queryset.annotate(reused=Exists(reused), doubtful_photos=Exists(doubtful))
