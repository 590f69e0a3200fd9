"""Exemplary cases (典型案例, R32, R24): a county bureau writes a case with photos chosen for publicity and nominates
it, the city accepts or returns it; photos need the county's confirmation that no child is identifiable and are
stored without their metadata; schools and inspectors write nothing."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from activities.cases import (
    case_accept,
    case_nominate,
    case_photo_add,
    case_photo_remove,
    case_return,
    case_save,
)
from activities.choices import CaseStatus
from activities.models import CasePhoto, ExemplaryCase
from liuzhou_pairing.access import NotAllowed, StaleEdit
from liuzhou_pairing.actors import SYSTEM

from .conftest import TODAY
from .test_evidence import PDF, png, stored_files

pytestmark = pytest.mark.django_db

WRITE_UP = "帮扶学校每月送教一次，受援学校数学组人人上了公开课。"


def photo_with_gps() -> bytes:
    """A JPEG carrying a camera model, a capture time and a GPS position."""
    image = Image.new("RGB", (40, 30), (10, 120, 200))
    exif = Image.Exif()
    exif[0x0110] = "相机型号"
    exif[0x0132] = "2016:10:10 09:30:00"
    exif.get_ifd(0x8825).update({1: "N", 2: (24.0, 35.0, 12.0), 3: "E", 4: (109.0, 24.0, 1.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment="学生张小明 三年级二班".encode())
    return out.getvalue()


def jpeg_file(name="照片.jpg", content=None):
    return SimpleUploadedFile(name, content if content is not None else photo_with_gps())


class Cases:
    def __init__(self, acts):
        self.acts = acts
        self.users = acts.users
        self.pairing = acts.pairing  # 甲县's own pairing

    def draft(self, actor="county", **fields) -> ExemplaryCase:
        values = {"pairing": self.pairing, "title": "送教下乡典型案例", "write_up": WRITE_UP, **fields}
        return case_save(case=ExemplaryCase(**values), actor=self.users[actor])

    def with_photo(self, actor="county", **fields) -> ExemplaryCase:
        case = self.draft(actor, **fields)
        case_photo_add(case=case, image=jpeg_file(), caption="示范课板书", no_child_identifiable=True,
                       actor=self.users[actor])  # fmt: skip
        return case

    def nominated(self, **fields) -> ExemplaryCase:
        return case_nominate(case=self.with_photo(**fields), actor=self.users["county"])

    def accepted(self, **fields) -> ExemplaryCase:
        return case_accept(case=self.nominated(**fields), actor=self.users["city"])


@pytest.fixture
def cases(acts):
    return Cases(acts)


def unchanged(case: ExemplaryCase) -> ExemplaryCase:
    return ExemplaryCase.objects.get(pk=case.pk)


# --- Writing a case -----------------------------------------------------------------------------------------


def test_r32_a_county_bureau_writes_a_draft_case_for_its_pairing(cases):
    case = cases.draft()
    assert case.status == CaseStatus.DRAFT and case.county == cases.acts.land.own
    assert case.history.count() == 1


def test_r32_the_city_writes_a_case_for_any_pairing_and_it_belongs_to_the_recipients_county(cases):
    other = cases.acts.land.other_pairing
    case = case_save(case=ExemplaryCase(pairing=other, title="乙县案例"), actor=cases.users["city"])
    assert case.county == cases.acts.land.other


def test_r32_a_county_bureau_may_not_write_a_case_for_another_countys_pairing(cases):
    with pytest.raises(NotAllowed, match="本县"):
        cases.draft("county", pairing=cases.acts.land.other_pairing)
    assert not ExemplaryCase.objects.exists()


@pytest.mark.parametrize("role", ["school", "helper", "inspector", "region"])
def test_r32_schools_and_inspectors_write_no_case(cases, role):
    with pytest.raises(NotAllowed, match="县（区）教育局或市教育局"):
        cases.draft(role)
    assert not ExemplaryCase.objects.exists()


def test_r32_a_case_names_only_an_activity_of_its_own_pairing(cases, acts):
    mine = acts.activity(today=TODAY)
    assert cases.draft(activity=mine).activity == mine
    theirs = acts.activity(today=TODAY, pairing=acts.land.cross_pairing, participants=[], actor="city")
    with pytest.raises(ValidationError) as refused:
        cases.draft(activity=theirs)
    assert "activity" in refused.value.message_dict and "本结对" in str(refused.value)


def test_r32_another_county_may_not_change_a_case_and_nothing_changes(cases):
    case = cases.draft()
    case.title = "改掉"
    with pytest.raises(NotAllowed, match="另一个县"):
        case_save(case=case, actor=cases.users["other_county"])
    assert unchanged(case).title == "送教下乡典型案例"


def test_r32_a_stale_edit_is_refused(cases):
    case = cases.draft()
    case.title = "新标题"
    case_save(case=case, actor=cases.users["county"])
    with pytest.raises(StaleEdit):
        case_save(case=unchanged(case), actor=cases.users["county"], expected_version=1)


def test_r32_a_case_stays_with_its_pairing(cases):
    case = cases.draft()
    case.pairing = cases.acts.land.cross_pairing
    with pytest.raises(ValidationError, match="结对"):
        case_save(case=case, actor=cases.users["county"])


# --- Photos -------------------------------------------------------------------------------------------------


def test_r24_a_photo_without_the_confirmation_is_refused_in_chinese_and_nothing_is_stored(cases, settings):
    case = cases.draft()
    with pytest.raises(ValidationError) as refused:
        case_photo_add(case=case, image=jpeg_file(), no_child_identifiable=False, actor=cases.users["county"])
    assert "不能识别出学生" in str(refused.value.message_dict["no_child_identifiable"])
    assert not CasePhoto.objects.exists() and stored_files(settings) == []


def test_r24_each_photo_needs_its_own_confirmation_even_at_the_database(cases):
    case = cases.with_photo()
    with pytest.raises(ValidationError):
        from liuzhou_pairing.access import full_clean

        full_clean(CasePhoto(case=case, image="cases/x.jpg", no_child_identifiable=False))


def test_r24_a_photo_is_stored_without_its_metadata(cases):
    case = cases.with_photo()
    stored = case.photos.get()
    assert stored.image.name.startswith("cases/") and stored.image.name.endswith(".jpg")
    with stored.image.open("rb") as file, Image.open(file) as image:
        assert image.format == "JPEG" and image.size == (40, 30)
        assert dict(image.getexif()) == {} and "exif" not in image.info and "comment" not in image.info
    with stored.image.open("rb") as file:
        assert "张小明".encode() not in file.read()  # the JPEG comment is gone too
    assert stored.no_child_identifiable and stored.uploaded_by == cases.users["county"]


def test_r24_a_pngs_text_chunks_are_not_kept(cases):
    from PIL.PngImagePlugin import PngInfo

    text = PngInfo()
    text.add_text("Description", "学生张小明")
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, "PNG", pnginfo=text)
    photo = case_photo_add(case=cases.draft("county"), image=jpeg_file("照片.png", out.getvalue()),
                           no_child_identifiable=True, actor=cases.users["county"])  # fmt: skip
    with photo.image.open("rb") as file:
        assert "张小明".encode() not in file.read()


def test_r32_only_jpeg_and_png_photos_within_the_size_limit_are_accepted(cases, settings):
    case = cases.draft()
    county = cases.users["county"]
    with pytest.raises(ValidationError, match="JPEG"):
        case_photo_add(case=case, image=SimpleUploadedFile("照片.jpg", PDF), no_child_identifiable=True, actor=county)
    settings.EVIDENCE_MAX_BYTES = 100
    with pytest.raises(ValidationError, match="最大"):
        case_photo_add(case=case, image=jpeg_file(), no_child_identifiable=True, actor=county)
    settings.EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
    case_photo_add(case=case, image=SimpleUploadedFile("图.png", png()), no_child_identifiable=True, actor=county)
    assert case.photos.get().image.name.endswith(".png")
    assert len(stored_files(settings)) == 1


def test_r32_photos_are_removed_while_draft_but_not_once_nominated(cases):
    case = cases.with_photo()
    case_photo_add(case=case, image=jpeg_file(), no_child_identifiable=True, actor=cases.users["county"])
    first, second = case.photos.all()
    case_photo_remove(photo=first, actor=cases.users["county"])
    case_nominate(case=case, actor=cases.users["county"])
    with pytest.raises(NotAllowed, match="已推荐"):
        case_photo_remove(photo=second, actor=cases.users["county"])
    with pytest.raises(NotAllowed, match="已推荐"):
        case_photo_add(case=case, image=jpeg_file(), no_child_identifiable=True, actor=cases.users["county"])
    assert list(case.photos.all()) == [second]


def test_r32_another_county_and_a_school_add_no_photo(cases):
    case = cases.draft()
    for role in ("other_county", "school", "inspector"):
        with pytest.raises(NotAllowed):
            case_photo_add(case=case, image=jpeg_file(), no_child_identifiable=True, actor=cases.users[role])
    assert not CasePhoto.objects.exists()


# --- Nominate, accept, return ---------------------------------------------------------------------------------


def test_r32_a_case_is_nominated_with_a_write_up_and_a_confirmed_photo(cases):
    county = cases.users["county"]
    bare = cases.draft(write_up="")
    with pytest.raises(ValidationError, match="写"):
        case_nominate(case=bare, actor=county)
    no_photo = cases.draft()
    with pytest.raises(ValidationError, match="照片"):
        case_nominate(case=no_photo, actor=county)
    assert unchanged(no_photo).status == CaseStatus.DRAFT
    case = case_nominate(case=cases.with_photo(), actor=county)
    assert case.status == CaseStatus.NOMINATED and case.nominated_by == county and case.nominated_on


@pytest.mark.parametrize("role", ["other_county", "school", "inspector", "region"])
def test_r32_only_the_cases_county_or_the_city_nominates_it(cases, role):
    case = cases.with_photo()
    with pytest.raises(NotAllowed):
        case_nominate(case=case, actor=cases.users[role])
    assert unchanged(case).status == CaseStatus.DRAFT


@pytest.mark.parametrize("role", ["county", "school", "inspector", "region"])
def test_r32_only_the_city_accepts_or_returns(cases, role):
    case = cases.nominated()
    with pytest.raises(NotAllowed, match="只有市教育局"):
        case_accept(case=case, actor=cases.users[role])
    with pytest.raises(NotAllowed, match="只有市教育局"):
        case_return(case=case, actor=cases.users[role], reason="不行")
    assert unchanged(case).status == CaseStatus.NOMINATED


def test_r32_the_city_accepts_only_a_nominated_case(cases):
    case = cases.with_photo()
    with pytest.raises(NotAllowed, match="草稿"):
        case_accept(case=case, actor=cases.users["city"])
    accepted = case_accept(case=case_nominate(case=case, actor=cases.users["county"]), actor=cases.users["city"])
    assert accepted.status == CaseStatus.ACCEPTED and accepted.accepted_by == cases.users["city"]
    assert accepted.accepted_on is not None


def test_r32_a_return_gives_its_reason_and_the_county_changes_and_nominates_again(cases):
    case = cases.nominated()
    with pytest.raises(ValidationError, match="理由"):
        case_return(case=case, actor=cases.users["city"], reason="  ")
    assert unchanged(case).status == CaseStatus.NOMINATED
    returned = case_return(case=case, actor=cases.users["city"], reason="请补充受援学校的变化")
    assert returned.status == CaseStatus.RETURNED and returned.return_reason == "请补充受援学校的变化"
    returned.write_up = WRITE_UP + "受援学校教学质量明显提升。"
    case_save(case=returned, actor=cases.users["county"])
    again = case_nominate(case=unchanged(case), actor=cases.users["county"])
    assert again.status == CaseStatus.NOMINATED and again.return_reason == ""
    assert again.history.filter(return_reason="请补充受援学校的变化").exists()


def test_r32_an_accepted_case_is_not_changed_by_the_county(cases):
    case = cases.accepted()
    case.title = "改过的标题"
    with pytest.raises(NotAllowed, match="已采用"):
        case_save(case=case, actor=cases.users["county"])
    with pytest.raises(NotAllowed, match="已采用"):
        case_nominate(case=unchanged(case), actor=cases.users["county"])
    assert unchanged(case).title == "送教下乡典型案例"


def test_r32_the_system_writes_demo_cases_through_the_same_services(cases):
    case = case_save(case=ExemplaryCase(pairing=cases.pairing, title="演示", write_up=WRITE_UP), actor=SYSTEM)
    case_photo_add(case=case, image=jpeg_file(), no_child_identifiable=True, actor=SYSTEM)
    accepted = case_accept(case=case_nominate(case=case, actor=SYSTEM), actor=SYSTEM)
    assert accepted.status == CaseStatus.ACCEPTED and accepted.accepted_by is None


def test_a_photo_is_stored_upright_and_at_most_2400_pixels_a_side(cases):
    case = cases.draft()
    turned = Image.new("RGB", (40, 30), (200, 100, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was held upright: turn 90° when shown
    out = io.BytesIO()
    turned.save(out, "JPEG", exif=exif)
    wide = io.BytesIO()
    Image.new("RGB", (4800, 600), (0, 0, 0)).save(wide, "PNG")
    for content in (out.getvalue(), wide.getvalue()):
        case_photo_add(case=case, image=jpeg_file(content=content), no_child_identifiable=True,
                       actor=cases.users["county"])  # fmt: skip
    sizes = []
    for photo in case.photos.order_by("id"):
        with photo.image.open("rb") as file, Image.open(file) as image:
            sizes.append(image.size)
            assert 0x0112 not in image.getexif()
    assert sizes == [(30, 40), (2400, 300)]


def test_r32_an_edit_does_not_change_where_the_case_stands(cases):
    case = cases.draft()
    case.status, case.return_reason, case.county = CaseStatus.ACCEPTED, "伪造", cases.acts.land.other
    saved = case_save(case=case, actor=cases.users["county"])
    stored = unchanged(saved)
    assert (stored.status, stored.return_reason, stored.county) == (CaseStatus.DRAFT, "", cases.acts.land.own)
