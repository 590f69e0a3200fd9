"""Print each pairing's compliance with a semester's norms: python manage.py compliance --semester 2016-1"""

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from activities.choices import Kind
from activities.selectors import ComplianceRow, compliance
from liuzhou_pairing.actors import SYSTEM
from liuzhou_pairing.home import county_display_name
from liuzhou_pairing.terminal import aligned
from pairings.choices import Tier
from pairings.selectors import find_semesters
from schools.choices import Stage
from schools.models import County


def find_county(name: str) -> County:
    """Find a county-level unit by any of its names (official, short, former) or its code."""
    matches = [c for c in County.objects.all() if name in c.all_names() or name == c.code]
    if len(matches) != 1:
        message = _("Unknown county “%(name)s”.") if not matches else _("“%(name)s” names more than one county.")
        raise CommandError(message % {"name": name})
    return matches[0]


def find_choice(value: str, choices: Any, what: str) -> str:
    """Return the code of `choices` named by `value`, its code (compulsory) or its label (义务教育)."""
    for code, label in choices.choices:
        if value in (code, str(label)):
            return code
    names = "、".join(str(label) for _code, label in choices.choices)
    raise CommandError(_("Unknown %(what)s “%(value)s”; one of: %(names)s.") % {"what": what, "value": value,
                                                                              "names": names})  # fmt: skip


def as_json(row: ComplianceRow) -> dict[str, Any]:
    return {
        "pairing": row.pairing.pk,
        "helper": row.helper.name,
        "recipient": row.recipient.name,
        "county": county_display_name(row.county),
        "stage": row.stage,
        "tier": row.tier,
        "norms": {
            kind: {"count": norm.count, "required": norm.required, "met": norm.met} for kind, norm in row.norms.items()
        },
        "compliant": row.compliant,
        "silent": row.silent,
    }


class Command(BaseCommand):
    help = "Print each pairing's counts against a semester's norms, as JSON or as a table (as the city by default)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--semester", required=True, help="2016-1: the first semester of 2016—2017")
        parser.add_argument("--county", help="the recipient's county-level unit, by name")
        parser.add_argument("--stage", help="stage, by code or Chinese name")
        parser.add_argument("--tier", help="tier, by code or Chinese name")
        parser.add_argument("--format", choices=["json", "table"], default="table")
        parser.add_argument("--user", help="read as this user (its scope); by default as the city")

    def handle(self, *args: Any, **options: Any) -> None:
        user = SYSTEM
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None or not user.is_active:
                raise CommandError(_("No active user “%(name)s”.") % {"name": options["user"]})
        try:
            semesters = find_semesters(options["semester"])
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        filters = {
            "county": find_county(options["county"]) if options["county"] else None,
            "stage": find_choice(options["stage"], Stage, _("stage")) if options["stage"] else None,
            "tier": find_choice(options["tier"], Tier, _("tier")) if options["tier"] else None,
        }
        rows = [row for semester in semesters for row in compliance(user=user, semester=semester, **filters)]
        if options["format"] == "json":
            self.stdout.write(json.dumps([as_json(row) for row in rows], ensure_ascii=False, indent=2))
        else:
            self.write_table(rows)

    def write_table(self, rows: list[ComplianceRow]) -> None:
        kinds = [kind for kind in Kind.values if any(kind in row.norms for row in rows)]
        header = [_("helper"), _("recipient"), _("county"), _("stage"), _("tier"),
                  *(str(Kind(kind).label) for kind in kinds), _("compliant")]  # fmt: skip
        lines = [header]
        for row in rows:
            norms = [
                f"{row.norms[k].count}/{row.norms[k].required}{'' if row.norms[k].met else '✗'}"
                if k in row.norms
                else "—"
                for k in kinds
            ]
            verdict = _("yes") if row.compliant else _("no")
            if row.silent and not row.compliant:
                verdict = _("no (no confirmed activity)")
            lines.append([row.helper.name, row.recipient.name, county_display_name(row.county),
                          str(Stage(row.stage).label), str(Tier(row.tier).label), *norms, verdict])  # fmt: skip
        for line in aligned(lines):
            self.stdout.write(line)
        met = sum(row.compliant for row in rows)
        self.stdout.write(_("%(met)s of %(total)s pairings compliant.") % {"met": met, "total": len(rows)})
