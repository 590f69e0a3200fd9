"""Draw the region spot check's sample: python manage.py spot_check_sample --semester 2016-1 --size 20 --seed 7"""

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from inspections.services import spot_check_draw
from liuzhou_pairing.access import NotAllowed
from liuzhou_pairing.actors import SYSTEM
from liuzhou_pairing.home import county_display_name
from liuzhou_pairing.terminal import aligned
from pairings.models import Pairing
from pairings.selectors import find_semesters


def as_json(pairing: Pairing) -> dict[str, Any]:
    return {
        "pairing": pairing.pk,
        "helper": pairing.helper.name,
        "recipient": pairing.recipient.name,
        "county": county_display_name(pairing.recipient.county),
    }


def whole_number(value: str, what: str, *, least: int | None = None) -> int:
    """Return `value` as an integer (at least `least`), or refuse it in the user's language."""
    try:
        number = int(value.strip())
    except ValueError:
        number = None
    if number is None or (least is not None and number < least):
        if least is None:
            message = _("The %(what)s must be a whole number, not “%(value)s”.")
        else:
            message = _("The %(what)s must be a whole number of at least %(least)s, not “%(value)s”.")
        raise CommandError(message % {"what": what, "value": value, "least": least})
    return number


class Command(BaseCommand):
    help = (
        "Draw a reproducible random sample of a semester's active pairings for the region spot check, stratified by "
        "the recipient's county, print it and record it (as the system unless --user is given)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--semester", required=True, help="2016-1: the first semester of 2016—2017")
        parser.add_argument("--size", required=True, help="how many pairings to draw")
        parser.add_argument("--seed", required=True, help="the random seed: the same seed draws the same sample")
        parser.add_argument("--dry-run", action="store_true", help="print the sample without recording it")
        parser.add_argument("--format", choices=["json", "table"], default="table")
        parser.add_argument("--user", help="record as this user (a region inspector); by default as the system")
        parser.add_argument("--reason", default="", help="why the sample is drawn (required unless --dry-run)")

    def handle(self, *args: Any, **options: Any) -> None:
        size = whole_number(options["size"], _("sample size"), least=1)
        seed = whole_number(options["seed"], _("seed"))
        actor = SYSTEM
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None or not actor.is_active:
                raise CommandError(_("No active user “%(name)s”.") % {"name": options["user"]})
        try:
            semesters = find_semesters(options["semester"])
            if len(semesters) > 1:
                raise CommandError(
                    _("“%(token)s” is a semester of more than one cycle; choose it on the spot-check page instead.")
                    % {"token": options["semester"]}
                )
            sample, spot_check = spot_check_draw(
                semester=semesters[0], size=size, seed=seed, actor=actor, reason=options["reason"],
                dry_run=options["dry_run"],
            )  # fmt: skip
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        except NotAllowed as error:
            raise CommandError(str(error)) from error
        if options["format"] == "json":
            self.stdout.write(json.dumps([as_json(pairing) for pairing in sample], ensure_ascii=False, indent=2))
        else:
            lines = [[_("pairing"), _("helper"), _("recipient"), _("county")]]
            lines += [[str(p.pk), p.helper.name, p.recipient.name, county_display_name(p.recipient.county)]
                      for p in sample]  # fmt: skip
            for line in aligned(lines):
                self.stdout.write(line)
        if spot_check is None:
            note = _("%(count)s pairings drawn with seed %(seed)s; not recorded (dry run).")
        else:
            note = _("%(count)s pairings drawn with seed %(seed)s and recorded as spot check no. %(id)s.")
        note %= {"count": len(sample), "seed": seed, "id": spot_check.pk if spot_check else ""}
        # The JSON on standard output stays parseable; the note goes beside it.
        (self.stderr if options["format"] == "json" else self.stdout).write(note)
