"""Measures of the reports (contract: bench/measure.py): the semester compliance figures and coverage (R1) for the
whole region, each against one hand-written SQL statement giving the same figures, and the semester compliance
report page for a city user and a county user against the page's main query alone.

To try it before the harness: `DATABASE_URL=postgres://… .venv/bin/python bench/measure_reports.py` (prints, per
measure, the best of 5 of project and floor measured alternately, their ratio and the project's statements).
"""

import os
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.measure import Measure  # noqa: E402

# --- The semester and the figures -------------------------------------------------------------------------------


def _semester() -> Any:
    """The latest semester with activities."""
    from pairings.models import Semester

    return Semester.objects.filter(activities__isnull=False).distinct().order_by("-starts_on").first()


def _county() -> Any:
    """The county of the measured county user: 融水 when there is one, else the county with most recipients."""
    from django.db.models import Count

    from schools.models import County

    return (
        County.objects.filter(name__startswith="融水").first()
        or County.objects.annotate(n=Count("school__received_pairings")).order_by("-n").first()
    )


# The compliance floor: the pairings active in the semester (of a county, when given), each judged against the most
# specific norm of each kind for its stage and tier, counted per recipient's county and stage; the shortfalls per
# kind come in the same statement as rows with a kind.
COMPLIANCE_SQL = """
WITH p AS (
    SELECT p.id, p.helper_id, p.recipient_id, p.stage, p.tier, r.county_id
    FROM pairings_pairing p JOIN schools_school r ON r.id = p.recipient_id
    WHERE p.cycle_id = %(cycle)s AND p.status <> 'proposed' AND p.starts_on <= %(ends)s
      AND (p.ended_on IS NULL OR p.ended_on >= %(starts)s) {county}
),
n AS (
    SELECT DISTINCT ON (st.stage, st.tier, n.kind)
        st.stage, st.tier, n.kind, n.counts, n.side, n.key_staff_only, n.required
    FROM (SELECT DISTINCT stage, tier FROM p) st
    JOIN activities_norm n ON n.cycle_id = %(cycle)s AND n.stage IN (st.stage, '') AND n.tier IN (st.tier, '')
    ORDER BY st.stage, st.tier, n.kind, n.stage = '', n.tier = ''
),
a AS (
    SELECT id, pairing_id, kind FROM activities_activity WHERE semester_id = %(semester)s AND status = 'confirmed'
),
times AS (SELECT pairing_id, kind, COUNT(*) AS c FROM a GROUP BY pairing_id, kind),
people AS (
    SELECT a.pairing_id, a.kind, s.school_id, s.post IN ('leader', 'key_staff') AS key, COUNT(DISTINCT s.id) AS c
    FROM a JOIN activities_activity_participants ap ON ap.activity_id = a.id
    JOIN activities_staff s ON s.id = ap.staff_id
    GROUP BY a.pairing_id, a.kind, s.school_id, key
),
pn AS (
    SELECT p.id, p.county_id, p.stage, n.kind, n.required,
        CASE WHEN n.counts = 'times' THEN COALESCE(MAX(t.c), 0) ELSE COALESCE(SUM(pe.c), 0) END AS count
    FROM p JOIN n ON n.stage = p.stage AND n.tier = p.tier
    LEFT JOIN times t ON n.counts = 'times' AND t.pairing_id = p.id AND t.kind = n.kind
    LEFT JOIN people pe ON n.counts = 'people' AND pe.pairing_id = p.id AND pe.kind = n.kind
        AND (pe.key OR NOT n.key_staff_only)
        AND (pe.school_id = p.helper_id AND n.side IN ('helper', 'both')
             OR pe.school_id = p.recipient_id AND n.side IN ('recipient', 'both'))
    GROUP BY p.id, p.county_id, p.stage, n.kind, n.required, n.counts
),
judged AS (
    SELECT id, COUNT(*) FILTER (WHERE count < required) AS unmet FROM pn GROUP BY id
)
SELECT p.county_id, p.stage, NULL AS kind, COUNT(*),
    COUNT(*) FILTER (WHERE j.unmet = 0),
    COUNT(*) FILTER (WHERE d.pairing_id IS NULL)
FROM p LEFT JOIN judged j ON j.id = p.id LEFT JOIN (SELECT DISTINCT pairing_id FROM a) d ON d.pairing_id = p.id
GROUP BY p.county_id, p.stage
UNION ALL
SELECT county_id, stage, kind, COUNT(*), 0, 0 FROM pn WHERE count < required GROUP BY county_id, stage, kind
"""


def compliance_floor(semester: Any, county_id: int | None = None) -> dict:
    """{(county, stage): (pairings, compliant, silent, ((kind, short), …))} by one statement."""
    from django.db import connection

    sql = COMPLIANCE_SQL.format(county="AND r.county_id = %(county)s" if county_id else "")
    params = {"cycle": semester.cycle_id, "semester": semester.pk, "starts": semester.starts_on,
              "ends": semester.ends_on, "county": county_id}  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    figures: dict = {}
    shorts: dict = {}
    for county, stage, kind, n, compliant, silent in rows:
        if kind is None:
            figures[(county, stage)] = (n, compliant, silent)
        else:
            shorts.setdefault((county, stage), []).append((kind, n))
    return {key: (*value, tuple(sorted(shorts.get(key, ())))) for key, value in figures.items()}


def compliance_project(semester: Any) -> dict:
    """What the city's report counts its pairings with: the compliance engine in the database."""
    from activities.selectors import compliance_tally
    from liuzhou_pairing.actors import SYSTEM

    return compliance_tally(user=SYSTEM, semesters=[semester])[semester.pk]


def normalize_tally(tallies: dict) -> dict:
    if all(isinstance(v, tuple) for v in tallies.values()):
        return tallies
    return {key: (t.pairings, t.compliant, t.silent, tuple(sorted(t.short.items()))) for key, t in tallies.items()}


# The coverage floor: per county and stage (by each school's type), the active public and private schools and
# those of them that are helper, recipient or lead school of a pairing of the cycle active now at that stage.
COVERAGE_SQL = """
WITH covered AS (
    SELECT helper_id AS school_id, stage FROM pairings_pairing WHERE cycle_id = %(cycle)s AND status = 'active'
    UNION SELECT recipient_id, stage FROM pairings_pairing WHERE cycle_id = %(cycle)s AND status = 'active'
    UNION SELECT lead_school_id, stage FROM pairings_pairing
        WHERE cycle_id = %(cycle)s AND status = 'active' AND lead_school_id IS NOT NULL
),
served (school_type, stage) AS (VALUES {served})
SELECT s.county_id, v.stage,
    COUNT(*) FILTER (WHERE s.ownership = 'public'),
    COUNT(*) FILTER (WHERE s.ownership = 'public' AND c.school_id IS NULL),
    COUNT(*) FILTER (WHERE s.ownership <> 'public'),
    COUNT(*) FILTER (WHERE s.ownership <> 'public' AND c.school_id IS NOT NULL)
FROM schools_school s JOIN served v ON v.school_type = s.school_type
LEFT JOIN covered c ON c.school_id = s.id AND c.stage = v.stage
WHERE s.status = 'active'
GROUP BY s.county_id, v.stage
"""


def coverage_floor(cycle: Any) -> dict:
    """{(county, stage): (public, public in no pairing, private, private taking part)} by one statement."""
    from django.db import connection

    from schools.choices import STAGES_BY_TYPE

    served = ", ".join(f"('{t}', '{s}')" for t, stages in STAGES_BY_TYPE.items() for s in stages)
    with connection.cursor() as cursor:
        cursor.execute(COVERAGE_SQL.format(served=served), {"cycle": cycle.pk})
        return {(county, stage): tuple(figures) for county, stage, *figures in cursor.fetchall()}


def coverage_project(cycle: Any) -> Any:
    from liuzhou_pairing.actors import SYSTEM
    from pairings.selectors import coverage

    return coverage(cycle=cycle, user=SYSTEM)


def normalize_coverage(result: Any) -> dict:
    if isinstance(result, dict):
        return result
    return {
        (r.county.pk if r.county else None, r.stage): (
            r.public_total, len(r.uncovered), r.private_total, r.private_participating
        )
        for r in result
    }  # fmt: skip


# --- The report pages -------------------------------------------------------------------------------------------


class Page:
    """Setup: a transaction with a user of `role` logged into a test client, rolled back after the call.

    The page's compliance figures are kept between views (activities.figures): `changed=False` measures a view
    with every semester's figures kept since the last change (committed before the transaction); `changed=True`
    the first view after an activity of the semester changed, which counts that semester again (its change count
    raised inside the transaction)."""

    def __init__(self, role: str, changed: bool = False):
        self.role = role
        self.changed = changed

    def setup(self) -> dict:
        from django.conf import settings
        from django.db import transaction
        from django.db.models import F
        from django.test import Client

        from accounts.services import user_create
        from activities.figures import region_figures
        from activities.models import ComplianceFigures
        from inspections.semester_report import _trend_semesters
        from liuzhou_pairing.actors import SYSTEM

        if "testserver" not in settings.ALLOWED_HOSTS:  # the test client's host, in this process only
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        semester = _semester()
        region_figures(_trend_semesters(semester, semester.ends_on))  # kept (committed): counted once, if not yet
        atomic = transaction.atomic()
        atomic.__enter__()
        if self.changed:
            ComplianceFigures.objects.filter(semester=semester).update(changes=F("changes") + 1)
        county = _county() if self.role == "county" else None
        user, _password = user_create(username=f"bench_{self.role}", role=self.role, county=county, actor=SYSTEM)
        client = Client()
        client.force_login(user)
        return {"atomic": atomic, "client": client, "semester": semester, "county": county}

    @staticmethod
    def teardown(prepared: dict) -> None:
        from django.db import transaction

        transaction.set_rollback(True)
        prepared["atomic"].__exit__(None, None, None)

    @staticmethod
    def project(prepared: dict) -> str:
        from django.urls import reverse

        response = prepared["client"].get(reverse("inspections:semester"), {"semester": prepared["semester"].token},
                                          secure=True)  # fmt: skip
        assert response.status_code == 200, response.status_code
        return response.content.decode()

    @staticmethod
    def floor(prepared: dict) -> dict:
        county = prepared["county"]
        return compliance_floor(prepared["semester"], county.pk if county else None)


def page_total(result: Any) -> Any:
    """The page's total row (pairings, compliant, silent) or the floor's sums of the same."""
    if isinstance(result, dict):
        return tuple(sum(v[i] for v in result.values()) for i in range(3))
    body = re.search(r"<tbody>(.*?)</tbody>", result, re.S)[1]
    last = re.findall(r"<tr>(.*?)</tr>", body, re.S)[-1]
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", last, re.S)]
    # place, stage, pairings, compliant, share, not compliant, silent …
    return int(cells[2]), int(cells[3]), int(cells[6])


def _measures() -> list[Measure]:
    def semester_setup() -> Any:
        return _semester()

    def cycle_setup() -> Any:
        from pairings.selectors import current_cycle

        return current_cycle()

    city, county, city_changed = Page("city"), Page("county"), Page("city", changed=True)
    return [
        Measure(
            name="semester compliance, whole region",
            project=compliance_project,
            floor=compliance_floor,
            setup=semester_setup,
            normalize=normalize_tally,
            goal_ratio=1.5,
            max_queries=10,
        ),
        Measure(
            name="coverage (R1), whole region",
            project=coverage_project,
            floor=coverage_floor,
            setup=cycle_setup,
            normalize=normalize_coverage,
            goal_ratio=1.5,
        ),
        Measure(
            name="semester report page, city user",
            project=city.project,
            floor=city.floor,
            setup=city.setup,
            teardown=city.teardown,
            normalize=page_total,
            goal_ratio=3.0,
        ),
        Measure(
            name="semester report page, county user",
            project=county.project,
            floor=county.floor,
            setup=county.setup,
            teardown=county.teardown,
            normalize=page_total,
            goal_ratio=3.0,
        ),
        Measure(
            name="semester report page, city user, first view after an activity changed",
            project=city_changed.project,
            floor=city_changed.floor,
            setup=city_changed.setup,
            teardown=city_changed.teardown,
            normalize=page_total,
            goal_ratio=3.0,
        ),
    ]


MEASURES = _measures()


def _try(repeat: int = 5) -> None:  # pragma: no cover - run by hand
    import time

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for measure in MEASURES:
        best = {"project": float("inf"), "floor": float("inf")}
        results: dict = {}
        queries = 0
        for _ in range(repeat):
            for side in ("project", "floor"):
                prepared = measure.setup()
                with CaptureQueriesContext(connection) as captured:
                    start = time.perf_counter()
                    results[side] = getattr(measure, side)(prepared)
                    best[side] = min(best[side], time.perf_counter() - start)
                measure.teardown(prepared)
                if side == "project":
                    queries = len(captured)
        measure.check(measure.normalize(results["project"]), measure.normalize(results["floor"]))
        ratio = best["project"] / best["floor"]
        print(f"{measure.name}: project {best['project'] * 1000:.0f} ms, floor {best['floor'] * 1000:.0f} ms, "
              f"ratio {ratio:.2f} (goal {measure.goal_ratio}), {queries} queries")  # fmt: skip


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liuzhou_pairing.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("STATIC_MANIFEST", "false")
    import django

    django.setup()
    _try()
