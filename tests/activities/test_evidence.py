"""Evidence of activities (R17–R24, issue 10 point 3): type judged by content, size limited, served only in scope,
the same file on two activities and photos far from the activity's date or undated flagged, never refused."""

import datetime
import io
import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from activities.choices import EvidenceKind, PhotoDate
from activities.evidence import (
    activities_with_evidence_flags,
    evidence_add,
    evidence_remove,
    evidence_with_flags,
    original_name,
)
from activities.models import Evidence
from activities.services import activity_confirm, activity_save
from liuzhou_pairing.access import NotAllowed
from liuzhou_pairing.uploads import check_evidence, content_kind

from .conftest import AFTER_CLOSE, TODAY

pytestmark = pytest.mark.django_db

ACTIVITY_DATE = datetime.date(2016, 10, 10)  # the conftest's activities
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def jpeg(taken: str | None = None, *, tag: int = 0x9003, colour=(200, 30, 30)) -> bytes:
    """A small JPEG, its capture time (EXIF "YYYY:MM:DD HH:MM:SS") in the Exif IFD (DateTimeOriginal) or IFD0."""
    image = Image.new("RGB", (32, 24), colour)
    exif = Image.Exif()
    if taken is not None:
        if tag == 0x9003:
            exif.get_ifd(0x8769)[0x9003] = taken
        else:
            exif[tag] = taken
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (0, 120, 0)).save(out, "PNG")
    return out.getvalue()


def docx() -> bytes:
    """A minimal real Word document: [Content_Types].xml declaring the main part, and that part."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def xlsx() -> bytes:
    out = io.BytesIO()
    book = openpyxl.Workbook()
    book.active["A1"] = "签到表"
    book.save(out)
    return out.getvalue()


def ole2(stream: str = "WordDocument") -> bytes:
    """A minimal OLE2 compound file (version 3, 512-byte sectors): sector 0 the FAT, sector 1 the directory with
    the root storage and one stream named `stream`."""
    end, free, fat_sector = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 40, 0, 1, 1, 0, 4096, end, 0, end, 0)
    struct.pack_into("<109I", header, 76, 0, *([free] * 108))
    fat = struct.pack("<128I", fat_sector, end, *([free] * 126))

    def entry(name: str, kind: int) -> bytes:
        raw = bytearray(128)
        encoded = (name + "\0").encode("utf-16-le")
        raw[: len(encoded)] = encoded
        struct.pack_into("<HBB", raw, 64, len(encoded), kind, 1)
        struct.pack_into("<III", raw, 68, free, free, free)
        struct.pack_into("<II", raw, 116, end, 0)
        return bytes(raw)

    directory = entry("Root Entry", 5) + entry(stream, 2) + bytes(256)
    return bytes(header) + fat + directory


def upload(content: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- the content decides (kernel) ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (jpeg(), "jpeg"), (png(), "png"), (PDF, "pdf"), (docx(), "docx"), (xlsx(), "xlsx"),
        (ole2("WordDocument"), "doc"), (ole2("Workbook"), "xls"), (ole2("PowerPoint Document"), "ppt"),
    ],
)  # fmt: skip
def test_r_evidence_accepted_kinds_judged_by_content(content, kind):
    assert check_evidence(upload(content, "whatever.bin")).kind == kind


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"MZ\x90\x00\x03" + bytes(200), "照片.jpg"),  # an executable renamed
        (b"\xff\xd8\xff" + b"MZ" + bytes(200), "照片.jpg"),  # JPEG bytes up front, no image behind them
        (b"just some text\n", "记录.pdf"),
        (ole2("Contents"), "安装包.doc"),  # an OLE2 file that is not Office (an installer, say)
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "表格.xls"),  # the magic alone, no valid header
    ],
)
def test_r_evidence_other_content_is_refused_naming_what_is_accepted(content, name):
    with pytest.raises(ValidationError) as error:
        check_evidence(upload(content, name))
    assert error.value.code in ("invalid_evidence", "broken_image")
    if error.value.code == "invalid_evidence":
        assert "JPEG" in error.value.messages[0] and "PDF" in error.value.messages[0]
        assert "Word" in error.value.messages[0]


def test_r_evidence_a_zip_renamed_docx_without_office_parts_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")  # the part, but no [Content_Types].xml
    with pytest.raises(ValidationError, match="Office"):
        check_evidence(upload(out.getvalue(), "总结.docx"))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("readme.txt", "not office")
    with pytest.raises(ValidationError):
        check_evidence(upload(out.getvalue(), "总结.docx"))


def test_r_evidence_too_big_is_refused(settings):
    settings.EVIDENCE_MAX_BYTES = 1000
    with pytest.raises(ValidationError) as error:
        check_evidence(upload(PDF + bytes(1000), "大.pdf"))
    assert error.value.code == "file_too_large"


def test_agreements_still_accept_only_pdf_and_images():
    from liuzhou_pairing.uploads import validate_document

    with pytest.raises(ValidationError):
        validate_document(upload(docx(), "协议.docx"))
    validate_document(upload(PDF, "协议.pdf"))


def test_content_kind_leaves_the_file_position():
    file = upload(docx(), "a.docx")
    file.seek(5)
    assert content_kind(file) == "docx" and file.tell() == 5


# --- adding through the service --------------------------------------------------------------------------------


def test_r_evidence_a_real_docx_is_stored_as_docx_whatever_its_name(acts):
    activity = acts.activity()
    evidence = evidence_add(
        activity=activity, file=upload(docx(), "总结.jpg"), actor=acts.users["helper"], today=TODAY
    )
    assert evidence.file.name.startswith("evidence/") and evidence.file.name.endswith(".docx")
    assert (evidence.kind, evidence.original_name, evidence.photo_date) == (EvidenceKind.OFFICE, "总结.jpg", "")
    assert evidence.size == len(docx()) and len(evidence.sha256) == 64
    assert evidence.uploaded_by == acts.users["helper"]


def test_r_evidence_an_executable_renamed_jpg_is_refused_and_nothing_written(acts, settings):
    activity = acts.activity()
    with pytest.raises(ValidationError, match="JPEG"):
        exe = upload(b"MZ\x90\x00" + bytes(500), "活动.jpg")
        evidence_add(activity=activity, file=exe, actor=acts.users["helper"], today=TODAY)
    assert not Evidence.objects.exists()
    assert stored_files(settings) == []


def test_r_evidence_too_big_is_refused_by_the_service_and_nothing_written(acts, settings):
    settings.EVIDENCE_MAX_BYTES = 100
    with pytest.raises(ValidationError):
        evidence_add(activity=acts.activity(), file=upload(jpeg(), "大.jpg"), actor=acts.users["helper"], today=TODAY)
    assert not Evidence.objects.exists() and stored_files(settings) == []


def test_original_name_is_trimmed_keeping_its_extension():
    name = original_name("目录/" + "很" * 300 + ".pdf")
    assert len(name) == 200 and name.endswith(".pdf") and "/" not in name


# --- photo dates (EXIF) --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("taken", "tag", "expected"),
    [
        ("2016:10:12 09:30:00", 0x9003, PhotoDate.NEAR),
        ("2016:10:17 23:00:00", 0x9003, PhotoDate.NEAR),  # 7 days: still near
        ("2016:10:18 08:00:00", 0x9003, PhotoDate.FAR),  # 8 days
        ("2016:09:01 08:00:00", 0x9003, PhotoDate.FAR),
        ("2016:10:11 08:00:00", 0x0132, PhotoDate.NEAR),  # DateTime when there is no DateTimeOriginal
        (None, 0x9003, PhotoDate.UNDATED),  # WeChat strips it
    ],
)
def test_r_evidence_photo_date_against_the_activity_date(acts, taken, tag, expected):
    evidence = evidence_add(
        activity=acts.activity(),
        file=upload(jpeg(taken, tag=tag), "现场.jpg"),
        actor=acts.users["helper"],
        today=TODAY,
    )
    assert evidence.kind == EvidenceKind.PHOTO and evidence.file.name.endswith(".jpg")
    assert evidence.photo_date == expected
    assert (evidence.taken_at is None) == (taken is None)


def test_r_evidence_moving_the_activity_away_from_its_photos_flags_them(acts):
    activity = acts.activity()  # dated 2016-10-10
    evidence = evidence_add(activity=activity, file=upload(jpeg("2016:10:09 10:00:00"), "现场.jpg"),
                            actor=acts.users["helper"], today=TODAY)  # fmt: skip
    assert evidence.photo_date == PhotoDate.NEAR
    activity.date = datetime.date(2016, 9, 12)
    activity_save(activity=activity, participants=[acts.helper_teacher], actor=acts.users["helper"], today=TODAY)
    evidence.refresh_from_db()
    assert evidence.photo_date == PhotoDate.FAR and evidence.version == 2
    activity.date = datetime.date(2016, 10, 11)
    activity_save(activity=activity, participants=[acts.helper_teacher], actor=acts.users["helper"], today=TODAY)
    evidence.refresh_from_db()
    assert evidence.photo_date == PhotoDate.NEAR


def test_a_png_without_exif_is_an_undated_photo(acts):
    evidence = evidence_add(activity=acts.activity(), file=upload(png(), "截图.png"), actor=acts.users["helper"],
                            today=TODAY)  # fmt: skip
    assert (evidence.kind, evidence.photo_date) == (EvidenceKind.PHOTO, PhotoDate.UNDATED)
    assert evidence.file.name.endswith(".png")


def test_r_evidence_a_truncated_photo_is_refused(acts, settings):
    broken = jpeg("2016:10:10 10:00:00")[:200]
    with pytest.raises(ValidationError, match="JPEG"):
        evidence_add(activity=acts.activity(), file=upload(broken, "坏.jpg"), actor=acts.users["helper"], today=TODAY)
    assert stored_files(settings) == []


# --- reuse ---------------------------------------------------------------------------------------------------


def test_r_evidence_the_same_file_on_two_activities_is_flagged_on_both(acts):
    first = acts.activity()
    second = acts.activity(date=datetime.date(2016, 10, 12))
    third = acts.activity(date=datetime.date(2016, 10, 14))
    photo = jpeg("2016:10:10 10:00:00")
    a = evidence_add(activity=first, file=upload(photo, "合影.jpg"), actor=acts.users["helper"], today=TODAY)
    assert not evidence_with_flags().get(pk=a.pk).reused  # alone: not reused
    b = evidence_add(activity=second, file=upload(photo, "合影2.jpg"), actor=acts.users["helper"], today=TODAY)
    other = evidence_add(activity=third, file=upload(jpeg(colour=(1, 2, 3)), "别的.jpg"), actor=acts.users["helper"],
                         today=TODAY)  # fmt: skip
    flags = dict(evidence_with_flags().values_list("pk", "reused"))
    assert flags == {a.pk: True, b.pk: True, other.pk: False}
    activities = {a.pk: (a.reused, a.doubtful_photos) for a in activities_with_evidence_flags()}
    assert activities[first.pk] == (True, False) and activities[second.pk] == (True, False)
    assert activities[third.pk] == (False, True)  # its photo carries no date


def test_the_same_file_twice_on_one_activity_is_not_reuse(acts):
    activity = acts.activity()
    for name in ("a.pdf", "b.pdf"):
        evidence_add(activity=activity, file=upload(PDF, name), actor=acts.users["helper"], today=TODAY)
    assert not any(evidence_with_flags().values_list("reused", flat=True))


def test_the_flags_take_one_query(acts, django_assert_num_queries):
    for day in (10, 11, 12):
        activity = acts.activity(date=datetime.date(2016, 10, day))
        evidence_add(activity=activity, file=upload(PDF, "同.pdf"), actor=acts.users["helper"], today=TODAY)
    with django_assert_num_queries(1):
        assert all(e.reused for e in evidence_with_flags())
    with django_assert_num_queries(1):
        assert all(a.reused for a in activities_with_evidence_flags())


# --- who may add and remove ----------------------------------------------------------------------------------


def test_r_evidence_a_school_cannot_add_to_a_confirmed_activity(acts, settings):
    activity = acts.activity()
    activity_confirm(activity=activity, actor=acts.users["recipient"], today=TODAY)
    for school in ("helper", "recipient"):
        with pytest.raises(NotAllowed):
            evidence_add(activity=activity, file=upload(PDF, "a.pdf"), actor=acts.users[school], today=TODAY)
    assert stored_files(settings) == []
    with pytest.raises(ValidationError):  # a bureau gives the reason
        evidence_add(activity=activity, file=upload(PDF, "a.pdf"), actor=acts.users["county"], today=TODAY)
    assert stored_files(settings) == []
    evidence = evidence_add(activity=activity, file=upload(PDF, "a.pdf"), actor=acts.users["county"], reason="补交",
                            today=TODAY)  # fmt: skip
    assert evidence.history.latest().history_change_reason == "补交"


def test_the_partner_school_adds_evidence_to_a_pending_activity_only(acts):
    activity = acts.activity("helper")
    evidence = evidence_add(
        activity=activity, file=upload(PDF, "签到.pdf"), actor=acts.users["recipient"], today=TODAY
    )
    assert evidence.uploaded_by == acts.users["recipient"]
    from activities.services import activity_reject

    activity_reject(activity=activity, actor=acts.users["recipient"], reason="日期不对", today=TODAY)
    with pytest.raises(NotAllowed):
        evidence_add(activity=activity, file=upload(PDF, "b.pdf"), actor=acts.users["recipient"], today=TODAY)
    # The side that entered it may still correct it, files too.
    evidence_add(activity=activity, file=upload(PDF, "c.pdf"), actor=acts.users["helper"], today=TODAY)


@pytest.mark.parametrize("role", ["other_county", "district", "inspector", "region"])
def test_others_may_not_add_evidence(acts, role):
    with pytest.raises(NotAllowed):
        evidence_add(activity=acts.activity(), file=upload(PDF, "a.pdf"), actor=acts.users[role], today=TODAY)


def test_schools_add_no_evidence_after_entries_close(acts):
    activity = acts.activity()
    with pytest.raises(NotAllowed):
        evidence_add(activity=activity, file=upload(PDF, "a.pdf"), actor=acts.users["helper"], today=AFTER_CLOSE)


def test_removing_evidence(acts):
    activity = acts.activity("helper")
    own = evidence_add(activity=activity, file=upload(PDF, "a.pdf"), actor=acts.users["helper"], today=TODAY)
    partners = evidence_add(activity=activity, file=upload(png(), "b.png"), actor=acts.users["recipient"], today=TODAY)
    with pytest.raises(NotAllowed, match="本校人员上传"):
        evidence_remove(evidence=partners, actor=acts.users["helper"], today=TODAY)
    evidence_remove(evidence=own, actor=acts.users["helper"], today=TODAY)
    activity_confirm(activity=activity, actor=acts.users["recipient"], today=TODAY)
    with pytest.raises(NotAllowed):
        evidence_remove(evidence=partners, actor=acts.users["recipient"], today=TODAY)
    with pytest.raises(ValidationError):
        evidence_remove(evidence=partners, actor=acts.users["county"], today=TODAY)
    evidence_remove(evidence=partners, actor=acts.users["county"], reason="与本活动无关", today=TODAY)
    assert not Evidence.objects.exists()
    removed = Evidence.history.filter(history_type="-").order_by("history_date").last()
    assert removed.history_change_reason == "与本活动无关" and removed.history_user == acts.users["county"]


# --- served only in scope -------------------------------------------------------------------------------------


def test_r_evidence_served_to_the_pairings_users_only(acts, as_user, client):
    evidence = evidence_add(activity=acts.activity(), file=upload(PDF, "a.pdf"), actor=acts.users["helper"],
                            today=TODAY)  # fmt: skip
    url = evidence.file.url
    assert url.startswith("/media/evidence/")
    for role in ("county", "city", "school", "inspector"):
        response = as_user(role).get(url)
        assert response.status_code == 200, role
        assert b"".join(response.streaming_content) == PDF
    assert as_user("district").get(url).status_code == 404  # another county's user
    client.force_login(acts.users["other_county"])
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_removed_evidence_is_served_no_more(acts, as_user):
    evidence = evidence_add(activity=acts.activity(), file=upload(PDF, "a.pdf"), actor=acts.users["helper"],
                            today=TODAY)  # fmt: skip
    url = evidence.file.url
    evidence_remove(evidence=evidence, actor=acts.users["helper"], today=TODAY)
    assert as_user("city").get(url).status_code == 404
