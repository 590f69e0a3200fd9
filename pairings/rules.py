"""The pairing rules of the plan, each written once with a stable code and a Chinese message.

A *refusal* stops the pairing (nothing is written); a *warning* lets it through and is stored with it, shown
in admin and listed per county. Every write path reaches these rules through `pairings.services`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from schools.choices import Location, Ownership, SchoolType, Stage, Standing
from schools.models import School

from .choices import TIERS_BY_STAGE, Tier
from .models import Cycle, DistrictPairing, Pairing


class Facts:
    """What the rules ask the database about other records, one query a question: right for a single pairing."""

    def live_pair(self, cycle_id: int, helper_id: int, recipient_id: int, exclude_pk: int | None) -> bool:
        """Return whether the two schools already have a live pairing (other than `exclude_pk`) in the cycle."""
        live = Pairing.objects.live().filter(cycle_id=cycle_id, helper_id=helper_id, recipient_id=recipient_id)
        if exclude_pk:
            live = live.exclude(pk=exclude_pk)
        return live.exists()

    def district_paired(self, cycle_id: int, helper_county_id: int, recipient_county_id: int) -> bool:
        """Return whether the helper's district is paired with the recipient's county in the cycle (R8, R11)."""
        return DistrictPairing.objects.filter(
            cycle_id=cycle_id, helper_county_id=helper_county_id, recipient_county_id=recipient_county_id
        ).exists()

    def record(self, pairing: Pairing) -> None:
        """Note a pairing accepted but not yet written (nothing to do when every answer comes from the database)."""


class LoadedFacts(Facts):
    """The same answers from what is read once per cycle, for a batch of pairings: the live pairs and the district
    pairings. The batch's own accepted pairings count as live, so that a file naming one pair twice is refused."""

    PENDING = object()

    def __init__(self) -> None:
        self._live: dict[int, dict[tuple[int, int], Any]] = {}
        self._districts: dict[int, set[tuple[int, int]]] = {}

    def _load(self, cycle_id: int) -> None:
        if cycle_id not in self._live:
            live = Pairing.objects.live().filter(cycle_id=cycle_id).values_list("helper_id", "recipient_id", "pk")
            self._live[cycle_id] = {(h, r): pk for h, r, pk in live}
            districts = DistrictPairing.objects.filter(cycle_id=cycle_id)
            self._districts[cycle_id] = set(districts.values_list("helper_county_id", "recipient_county_id"))

    def live_pair(self, cycle_id: int, helper_id: int, recipient_id: int, exclude_pk: int | None) -> bool:
        self._load(cycle_id)
        found = self._live[cycle_id].get((helper_id, recipient_id))
        return found is not None and found != exclude_pk

    def district_paired(self, cycle_id: int, helper_county_id: int, recipient_county_id: int) -> bool:
        self._load(cycle_id)
        return (helper_county_id, recipient_county_id) in self._districts[cycle_id]

    def record(self, pairing: Pairing) -> None:
        self._load(pairing.cycle_id)
        self._live[pairing.cycle_id][(pairing.helper_id, pairing.recipient_id)] = pairing.pk or self.PENDING


DATABASE = Facts()


@dataclass(frozen=True)
class Draft:
    """The facts a rule looks at: a pairing about to be created or changed, and where to ask about the others."""

    helper: School
    recipient: School
    stage: str
    tier: str
    cycle: Cycle
    is_city_fixed: bool = False
    pk: int | None = None  # the pairing being changed, if any
    facts: Facts = field(default=DATABASE, compare=False)

    @classmethod
    def of(cls, pairing: Pairing, facts: Facts = DATABASE) -> "Draft":
        """Return the facts of `pairing` as it is about to be saved."""
        return cls(
            helper=pairing.helper,
            recipient=pairing.recipient,
            stage=pairing.stage,
            tier=pairing.tier,
            cycle=pairing.cycle,
            is_city_fixed=pairing.is_city_fixed,
            pk=pairing.pk,
            facts=facts,
        )


@dataclass(frozen=True)
class Rule:
    code: str
    requirements: str
    severity: Literal["refuse", "warn"]
    field: str | None
    message: Promise
    check: Callable[[Draft], dict | None]  # returns the message's parameters when the rule is broken

    def apply(self, draft: Draft) -> str | None:
        params = self.check(draft)
        if params is None:
            return None
        return str(self.message) % params


def _names(draft: Draft) -> dict:
    return {
        "helper": draft.helper.name,
        "recipient": draft.recipient.name,
        "stage": Stage(draft.stage).label if draft.stage in Stage.values else draft.stage,
        "tier": Tier(draft.tier).label if draft.tier in Tier.values else draft.tier,
    }


def _same_school(d: Draft) -> dict | None:
    return {} if d.helper.pk is not None and d.helper.pk == d.recipient.pk else None


def _school_closed(d: Draft) -> dict | None:
    for school in (d.helper, d.recipient):
        if not school.is_active:
            return {"school": school.name}
    return None


def _stage_not_served(d: Draft) -> dict | None:
    for school in (d.helper, d.recipient):
        if not school.serves(d.stage):
            return {"school": school.name, "stage": _names(d)["stage"]}
    return None


def _stage_tier_not_allowed(d: Draft) -> dict | None:
    allowed = TIERS_BY_STAGE.get(d.stage, ())
    if d.tier in allowed:
        return None
    return {**_names(d), "allowed": "、".join(str(Tier(t).label) for t in allowed)}


def _already_paired(d: Draft) -> dict | None:
    if d.helper.pk is None or d.recipient.pk is None:
        return None
    return _names(d) if d.facts.live_pair(d.cycle.pk, d.helper.pk, d.recipient.pk, d.pk) else None


def _city_county_within_a_county(d: Draft) -> dict | None:
    # R7: a 市—县 pair inside one county-level unit is an urban district's own (市区学校 → its central schools);
    # inside a county it is a 县—乡 pair (R9).
    if d.stage != Stage.COMPULSORY or d.tier != Tier.CITY_COUNTY:
        return None
    county = d.helper.county
    if county is None or d.helper.county_id != d.recipient.county_id or county.is_urban_district:
        return None
    return {**_names(d), "county": county.display_name}


def _compulsory_city_county_scope(d: Draft) -> dict | None:
    if d.stage != Stage.COMPULSORY or d.tier != Tier.CITY_COUNTY:
        return None
    helper_county, recipient_county = d.helper.county_id, d.recipient.county_id
    if helper_county and recipient_county:
        if helper_county == recipient_county:  # R7, or refused by _city_county_within_a_county
            return None
        if d.facts.district_paired(d.cycle.pk, helper_county, recipient_county):
            return None  # R8, R11: in the county paired with the helper's district
    return {
        **_names(d),
        "county": d.recipient.county.display_name if d.recipient.county_id else "—",
        "helper_county": d.helper.county.display_name if d.helper.county_id else "—",
    }


def _county_township_across_counties(d: Draft) -> dict | None:
    if d.tier != Tier.COUNTY_TOWNSHIP or d.helper.county_id == d.recipient.county_id:
        return None
    return _names(d)


def _county_township_recipient_kind(d: Draft) -> dict | None:
    # R9: township central schools, rural primary schools and teaching points; R5: township central kindergartens.
    if d.tier != Tier.COUNTY_TOWNSHIP:
        return None
    r = d.recipient
    if d.stage == Stage.PRESCHOOL:
        fits = r.is_central and r.school_type == SchoolType.KINDERGARTEN
    else:
        rural = r.location in (Location.TOWNSHIP, Location.VILLAGE)
        fits = (
            r.is_central
            or r.school_type == SchoolType.TEACHING_POINT
            or (rural and r.school_type in (SchoolType.PRIMARY, SchoolType.NINE_YEAR))
        )
    return None if fits else _names(d)


def _township_village_recipient_kind(d: Draft) -> dict | None:
    # R6, R10: the recipient is a village school, kindergarten or teaching point of the helper's township.
    if d.tier != Tier.TOWNSHIP_VILLAGE:
        return None
    r = d.recipient
    return None if r.location == Location.VILLAGE or r.school_type == SchoolType.TEACHING_POINT else _names(d)


def _across_townships(d: Draft) -> dict | None:
    if d.tier != Tier.TOWNSHIP_VILLAGE:
        return None
    if d.helper.township_id and d.helper.township_id == d.recipient.township_id:
        return None
    return _names(d)


def _helper_not_high_quality(d: Draft) -> dict | None:
    # R6/R10 make the township's central school the helper of its villages, so at that tier the helper is
    # designated, not chosen for quality. City-fixed pairs were chosen by the city (R16).
    if d.is_city_fixed or d.tier == Tier.TOWNSHIP_VILLAGE:
        return None
    return _names(d) if d.helper.standing != Standing.HIGH_QUALITY else None


def _recipient_not_weak(d: Draft) -> dict | None:
    if d.is_city_fixed:
        return None
    return _names(d) if d.recipient.standing != Standing.WEAK else None


def _county_township_helper_location(d: Draft) -> dict | None:
    if d.tier != Tier.COUNTY_TOWNSHIP:
        return None
    return _names(d) if d.helper.location not in (Location.URBAN, Location.COUNTY_TOWN) else None


def _village_village_pair(d: Draft) -> dict | None:
    if d.tier != Tier.TOWNSHIP_VILLAGE:
        return None
    return _names(d) if not d.helper.is_central else None


def _private_kindergarten_helper(d: Draft) -> dict | None:
    h = d.helper
    if h.ownership == Ownership.PRIVATE and h.school_type == SchoolType.KINDERGARTEN:
        return _names(d) if h.standing != Standing.HIGH_QUALITY else None
    return None


RULES: list[Rule] = [
    Rule("same_school", "R2", "refuse", "recipient", _("A school cannot help itself."), _same_school),
    Rule(
        "school_closed",
        "R1",
        "refuse",
        None,
        _("“%(school)s” is closed or merged and cannot be paired."),
        _school_closed,
    ),
    Rule(
        "stage_not_served",
        "R5–R15",
        "refuse",
        "stage",
        _("“%(school)s” does not serve %(stage)s."),
        _stage_not_served,
    ),
    Rule(
        "stage_tier_not_allowed",
        "R2, R5, R6, R9, R13, R15",
        "refuse",
        "tier",
        _("%(stage)s cannot be paired at the %(tier)s tier (allowed: %(allowed)s)."),
        _stage_tier_not_allowed,
    ),
    Rule(
        "already_paired",
        "R26",
        "refuse",
        "recipient",
        _("“%(helper)s” and “%(recipient)s” are already paired in this cycle."),
        _already_paired,
    ),
    Rule(
        "city_county_within_a_county",
        "R7, R9",
        "refuse",
        "tier",
        _(
            "Two schools of %(county)s pair at the county–township tier: a city–county pair inside one county-level "
            "unit is for the urban districts only."
        ),
        _city_county_within_a_county,
    ),
    Rule(
        "compulsory_city_county_scope",
        "R7, R8, R11",
        "refuse",
        "recipient",
        _(
            "A compulsory city–county recipient must be in the helper's own district or in the county paired "
            "with it; “%(recipient)s” is in %(county)s, the helper in %(helper_county)s."
        ),
        _compulsory_city_county_scope,
    ),
    Rule(
        "county_township_across_counties",
        "R9",
        "refuse",
        "recipient",
        _("A county–township pairing stays within one county; “%(helper)s” and “%(recipient)s” are not."),
        _county_township_across_counties,
    ),
    Rule(
        "across_townships",
        "R6, R10",
        "refuse",
        "recipient",
        _("A township–village pairing stays within one township; “%(helper)s” and “%(recipient)s” are not."),
        _across_townships,
    ),
    Rule(
        "helper_not_high_quality",
        "R5, R7–R9",
        "warn",
        None,
        _("The helper “%(helper)s” is not rated high-quality."),
        _helper_not_high_quality,
    ),
    Rule(
        "recipient_not_weak",
        "R1",
        "warn",
        None,
        _("The recipient “%(recipient)s” is not rated weak."),
        _recipient_not_weak,
    ),
    Rule(
        "county_township_helper_location",
        "R5, R9",
        "warn",
        None,
        _("A county–township helper should be a county-town or urban school; “%(helper)s” is not."),
        _county_township_helper_location,
    ),
    Rule(
        "village_village_pair",
        "R10",
        "warn",
        None,
        _("“%(helper)s” is not the central school administering “%(recipient)s” (a village–village pair)."),
        _village_village_pair,
    ),
    Rule(
        "county_township_recipient_kind",
        "R5, R9",
        "warn",
        None,
        _(
            "A county–township recipient should be a township central school or kindergarten, a rural primary school "
            "or a teaching point; “%(recipient)s” is not."
        ),
        _county_township_recipient_kind,
    ),
    Rule(
        "township_village_recipient_kind",
        "R6, R10",
        "warn",
        None,
        _(
            "A township–village recipient should be a village school, kindergarten or teaching point; "
            "“%(recipient)s” is not."
        ),
        _township_village_recipient_kind,
    ),
    Rule(
        "private_kindergarten_helper_not_high_quality",
        "R5",
        "warn",
        None,
        _("A private kindergarten helps only when it is high-quality; “%(helper)s” is not rated so."),
        _private_kindergarten_helper,
    ),
]
RULES_BY_CODE = {rule.code: rule for rule in RULES}

# The refusals that make the later ones meaningless: when one of these fails, stop there.
BLOCKING = {"same_school", "stage_not_served", "stage_tier_not_allowed"}


def evaluate(draft: Draft) -> list[str]:
    """Apply every rule to `draft`: raise ValidationError listing each refusal, or return the warning codes."""
    errors: dict[str, list[ValidationError]] = {}
    for rule in (r for r in RULES if r.severity == "refuse"):
        message = rule.apply(draft)
        if message:
            errors.setdefault(rule.field or "__all__", []).append(ValidationError(message, code=rule.code))
            if rule.code in BLOCKING:
                break
    if errors:
        raise ValidationError(errors)
    return [rule.code for rule in RULES if rule.severity == "warn" and rule.check(draft) is not None]


def warning_message(code: str) -> str:
    """Return the Chinese text of a stored warning code (the message without the schools' names)."""
    rule = RULES_BY_CODE.get(code)
    if rule is None:
        return code
    return str(WARNING_SUMMARIES.get(code, rule.message))


def warning_messages(pairing: Pairing) -> list[str]:
    """Return the Chinese texts of the warnings stored with `pairing`."""
    return [warning_message(code) for code in pairing.warnings]


# Short texts for lists of stored warnings, where the pairing's two schools are already shown.
WARNING_SUMMARIES = {
    "helper_not_high_quality": _("helper not rated high-quality"),
    "recipient_not_weak": _("recipient not rated weak"),
    "county_township_helper_location": _("county–township helper not in a county town or urban district"),
    "village_village_pair": _("village–village pair: helper is not the administering central school"),
    "private_kindergarten_helper_not_high_quality": _("private kindergarten helper not rated high-quality"),
    "county_township_recipient_kind": _("county–township recipient not a township central or rural school"),
    "township_village_recipient_kind": _("township–village recipient not a village school or teaching point"),
}
