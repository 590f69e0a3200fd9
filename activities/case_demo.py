"""Demo exemplary cases: two accepted cases on demo activities (one in 融水县 when it has any), each with photos
drawn here — a school building, a blackboard, books; never a person — written through the case services."""

import io
import random

from django.core.files.base import ContentFile
from django.db.models import Q
from PIL import Image, ImageDraw

from liuzhou_pairing.actors import SYSTEM

from .cases import case_accept, case_nominate, case_photo_add, case_save
from .choices import Confirmation, Kind
from .demo import _delete, _demo_activities
from .models import Activity, CasePhoto, ExemplaryCase

CASES = (
    (
        Kind.TEACHING_DELIVERY,
        "送教下乡：把示范课送到村小课堂",
        "帮扶学校骨干教师每月到受援学校送教一次，围绕三年级数学“分数的初步认识”上示范课，课后与受援学校教师"
        "一起评课、磨课，并把教案和课件留给受援学校共享。\n受援学校教师在此基础上开展同课异构，一学期来，"
        "数学组教师人人上了一节公开课，学校的课堂教学常规明显改进。",
        ("送教示范课所用的黑板板书", "两校共享的教案和课件资料"),
    ),
    (
        Kind.JOINT_RESEARCH,
        "两校联合教研：同课异构促成长",
        "两校语文组每学期共同确定教研主题，分别备课、同课异构，再通过线上集体评课找出差距。帮扶学校把"
        "成熟的集体备课制度带到受援学校，受援学校建立了每周一次的教研活动制度。\n一年来，受援学校教师的"
        "教学设计和课堂组织能力明显提高，两校教研组形成了长期合作的习惯。",
        ("联合教研活动的会场", "受援学校新建的图书角"),
    ),
)


def _picture(rng: random.Random, scene: int) -> bytes:
    """Return a JPEG of a scene without people: a school building under the sky, or a blackboard, or books."""
    width, height = 960, 640
    image = Image.new("RGB", (width, height), (170, 205, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 430, width, height], fill=(120, 170, 90))  # the ground
    if scene % 2 == 0:
        draw.rectangle([90, 120, 870, 560], fill=(35, 70, 50), outline=(120, 80, 40), width=18)  # a blackboard
        for row in range(5):
            y = 180 + row * 70
            draw.line([150, y, 150 + rng.randint(350, 640), y], fill=(235, 235, 225), width=6)
    else:
        draw.rectangle([180, 200, 780, 520], fill=(230, 220, 200), outline=(150, 120, 90), width=6)  # a building
        draw.polygon([(160, 200), (480, 90), (800, 200)], fill=(170, 60, 50))
        for column in range(5):
            x = 220 + column * 110
            draw.rectangle([x, 260, x + 60, 330], fill=(120, 170, 210))
            draw.rectangle([x, 390, x + 60, 460], fill=(120, 170, 210))
        draw.rectangle([440, 420, 520, 520], fill=(110, 70, 40))
        for book in range(6):  # books by the door
            x = 560 + book * 28
            draw.rectangle([x, 560, x + 22, 620], fill=tuple(rng.randrange(60, 230) for _n in range(3)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def demo_cases_clear(**kwargs) -> int:
    """Delete the demo cases, and any case on a demo activity or pairing (which go next), with their photos' files
    and their history. Runs before the demo activities are cleared."""
    doomed = Q(is_demo=True) | Q(activity__in=Activity.objects.filter(_demo_activities()).values("pk"))
    doomed |= Q(pairing__helper__is_demo=True) | Q(pairing__recipient__is_demo=True)
    ids = list(ExemplaryCase.objects.filter(doomed).values_list("pk", flat=True))
    if not ids:
        return 0
    storage = CasePhoto._meta.get_field("image").storage
    for name in CasePhoto.history.filter(case_id__in=ids).values_list("image", flat=True).distinct():
        if name:
            storage.delete(name)
    _delete(CasePhoto.history.filter(case_id__in=ids))
    _delete(CasePhoto.objects.filter(case_id__in=ids))
    _delete(ExemplaryCase.history.filter(id__in=ids))
    return _delete(ExemplaryCase.objects.filter(pk__in=ids))


def _activity_for(kind: str, taken: set[int]) -> Activity | None:
    """A confirmed demo activity of `kind`, in 融水县 if it has one, on a pairing not used yet."""
    confirmed = (
        Activity.objects.filter(is_demo=True, kind=kind, status=Confirmation.CONFIRMED)
        .exclude(pairing_id__in=taken)
        .select_related("pairing__helper", "pairing__recipient")
        .order_by("pairing_id", "date")
    )
    rongshui = Q(pairing__recipient__county__short_name="融水县") | Q(
        pairing__recipient__county__name__startswith="融水"
    )
    return confirmed.filter(rongshui).first() or confirmed.first()


def demo_cases_generate(*, seed: int, scale: str = "liuzhou") -> int:
    """Make two accepted demo cases with their photos; return how many records were made."""
    demo_cases_clear()
    rng = random.Random(seed)
    count, taken = 0, set()
    for number, (kind, title, write_up, captions) in enumerate(CASES):
        activity = _activity_for(kind, taken)
        if activity is None:
            continue
        taken.add(activity.pairing_id)
        case = ExemplaryCase(pairing=activity.pairing, activity=activity, title=title, write_up=write_up)
        case.is_demo = True
        case = case_save(case=case, actor=SYSTEM, reason="演示数据：生成的典型案例")
        for scene, caption in enumerate(captions):
            picture = ContentFile(_picture(rng, scene + number), name=f"案例照片{scene + 1}.jpg")
            case_photo_add(case=case, image=picture, caption=caption, no_child_identifiable=True, actor=SYSTEM)
            count += 1
        case = case_nominate(case=case, actor=SYSTEM)
        case_accept(case=case, actor=SYSTEM)
        count += 1
    return count
