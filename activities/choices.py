"""Choices for staff and activities; names follow GLOSSARY.md, labels the plan (R17–R24)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from schools.choices import Stage


class Post(models.TextChoices):
    LEADER = "leader", _("school leader")
    KEY_STAFF = "key_staff", _("key staff")
    TEACHER = "teacher", pgettext_lazy("post", "teacher")


class Form(models.TextChoices):
    """The twelve forms of assistance (帮扶形式, R17)."""

    LECTURE = "lecture", _("thematic lecture")
    ROVING_GUIDANCE = "roving_guidance", _("roving guidance")
    ONSITE_DIAGNOSIS = "onsite_diagnosis", _("on-site diagnosis")
    CASE_STUDY = "case_study", _("case polishing")
    SCHOOL_DIALOGUE = "school_dialogue", _("dialogue with a renowned school")
    TEACHING_DELIVERY = "teaching_delivery", _("teaching delivered to the countryside")
    CROSS_SCHOOL = "cross_school", _("cross-school experience")
    SHADOWING = "shadowing", _("shadowing")
    POST_EXCHANGE = "post_exchange", _("post exchange")
    RESEARCH_SHARING = "research_sharing", _("shared teaching research")
    MENTORING = "mentoring", _("mentor and apprentice pairs")
    HOME_SCHOOL = "home_school", _("home and kindergarten hand in hand")


class Focus(models.TextChoices):
    """What the assistance works on, by stage (R19)."""

    CARE_QUALITY = "care_quality", _("quality of care and education")
    TEACHING = "teaching", _("educating through teaching")
    MANAGEMENT = "management", _("educating through management")
    CULTURE = "culture", _("educating through culture")
    CURRICULUM = "curriculum", _("curriculum reform and quality")
    REHABILITATION = "rehabilitation", _("education and rehabilitation")


FOCUS_BY_STAGE: dict[str, tuple[str, ...]] = {
    Stage.PRESCHOOL: (Focus.CARE_QUALITY,),
    Stage.COMPULSORY: (Focus.TEACHING, Focus.MANAGEMENT, Focus.CULTURE),
    Stage.HIGH_SCHOOL: (Focus.CURRICULUM,),
    Stage.SPECIAL: (Focus.REHABILITATION,),
}


class Kind(models.TextChoices):
    """What an activity was, as the norms count it (R20–R24). Secondment: recipient key staff working at the
    helper; on-site guidance: helper key staff at the recipient; teaching delivery: helper teachers teaching at the
    recipient; observation visit: recipient teachers observing, learning or researching at the helper. The Chinese
    labels are the plan's short terms, so that a list shows them on one line."""

    SECONDMENT = "secondment", _("secondment of recipient key staff to the helper")
    ONSITE_GUIDANCE = "onsite_guidance", _("on-site guidance by helper key staff")
    TEACHING_DELIVERY = "teaching_delivery", _("teaching delivered by helper teachers")
    OBSERVATION_VISIT = "observation_visit", _("observation, study or research visit to the helper")
    JOINT_RESEARCH = "joint_research", _("joint teaching research")
    TEACHER_TRAINING = "teacher_training", _("teacher training")
    DONATION = "donation", _("donation")
    HAND_IN_HAND = "hand_in_hand", _("hand-in-hand student visit")
    RESOURCE_SHARING = "resource_sharing", _("sharing of teaching resources")
    LIVE_LESSON = "live_lesson", _("live or recorded model lesson")
    STUDENTS_IN_DIFFICULTY = "students_in_difficulty", _("care for students in difficulty")
    OTHER = "other", pgettext_lazy("activity kind", "other")


class EnteredBy(models.TextChoices):
    HELPER = "helper", _("helper school")
    RECIPIENT = "recipient", _("recipient school")
    COUNTY = "county", _("county bureau")
    CITY = "city", _("city bureau")


class Confirmation(models.TextChoices):
    PENDING = "pending", pgettext_lazy("confirmation", "awaiting confirmation")
    CONFIRMED = "confirmed", pgettext_lazy("confirmation", "confirmed")
    REJECTED = "rejected", pgettext_lazy("confirmation", "rejected")


class ChildKind(models.TextChoices):
    """The kinds of children in difficulty (困境学生, R24). Counted, never named."""

    LEFT_BEHIND = "left_behind", _("left-behind children")
    MIGRANT = "migrant", _("children of migrant workers")
    DISABLED = "disabled", _("disabled children")
    POOR_FAMILY = "poor_family", _("children of poor families")
    SINGLE_PARENT = "single_parent", _("children of single-parent families")
    ORPHAN = "orphan", _("orphans")


class HelpKind(models.TextChoices):
    TUTORING = "tutoring", _("help with studies")
    COUNSELLING = "counselling", _("psychological care")
    MATERIAL = "material", _("material or financial support")
    HOME_VISIT = "home_visit", _("home visit")
    COMPANIONSHIP = "companionship", _("companionship and activities")
    OTHER = "other", pgettext_lazy("kind of help", "other")


class NormCounts(models.TextChoices):
    """What a norm counts in a semester: distinct people taking part, or activities."""

    PEOPLE = "people", _("distinct people")
    TIMES = "times", _("times")


class EvidenceKind(models.TextChoices):
    """What an evidence file is, judged by its content."""

    PHOTO = "photo", _("photo")
    PDF = "pdf", _("PDF document")
    OFFICE = "office", _("Office document")


class PhotoDate(models.TextChoices):
    """How a photo's capture date (EXIF) stands against the activity's date; for inspectors, never a refusal."""

    NOT_A_PHOTO = "", _("not a photo")
    NEAR = "near", _("taken near the activity date")
    FAR = "far", _("taken more than 7 days from the activity date")
    UNDATED = "undated", _("no capture date")


class CaseStatus(models.TextChoices):
    """Where an exemplary case (典型案例) stands: written by a county, nominated, then accepted or returned by the
    city."""

    DRAFT = "draft", _("draft")
    NOMINATED = "nominated", _("nominated")
    ACCEPTED = "accepted", _("accepted")
    RETURNED = "returned", _("returned")
