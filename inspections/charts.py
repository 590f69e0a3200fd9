"""Charts of the semester report, drawn on the server as SVG with pygal and embedded in the page.

pygal's SVG links its tooltips' JavaScript from a CDN by default: here no script (`js=[]`), its CSS inlined, its
comments (which name web sites) and inline configuration script removed, so the page loads nothing from outside."""

import re

import pygal
from django.utils.translation import gettext as _
from pygal.style import Style

from liuzhou_pairing.home import county_display_name
from pairings.models import Semester

from .semester_report import SemesterReport

FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif'
STYLE = Style(
    font_family=FONT,
    label_font_family=FONT,
    major_label_font_family=FONT,
    value_font_family=FONT,
    value_label_font_family=FONT,
    tooltip_font_family=FONT,
    title_font_family=FONT,
    legend_font_family=FONT,
    background="white",
    plot_background="white",
    foreground="#333",
    foreground_strong="#333",
    foreground_subtle="#999",
    colors=("#417690", "#d97706", "#ba2121", "#2f855a", "#6b46c1", "#b7791f", "#2b6cb0", "#c05621", "#718096",
            "#38a169", "#d53f8c", "#319795", "#744210", "#4a5568"),
    label_font_size=14,
    major_label_font_size=14,
    legend_font_size=14,
    value_font_size=14,
)  # fmt: skip
# Its comments name web sites; its inline script only configures the tooltips' JavaScript, which is not loaded.
UNUSED = re.compile(r"<!--.*?-->|<script\b.*?</script>", re.S)


# Beyond this many counties their lines tangle: the trend shows the city's line alone.
MAX_COUNTY_LINES = 6


def _config() -> dict:
    return {
        "js": [],  # no script fetched from pygal's CDN
        "css": ["file://style.css", "file://graph.css"],  # pygal's own stylesheets, inlined into the SVG
        "disable_xml_declaration": True,  # embedded in the page
        "style": STYLE,
        "width": 560,
        "height": 340,
        "explicit_size": False,  # scales to its box
        "range": (0, 1),
        "value_formatter": lambda v: f"{v:.0%}",
        "y_labels": [0, 0.25, 0.5, 0.75, 1],
        "margin": 12,
    }


def _svg(chart) -> str:
    return UNUSED.sub("", chart.render(is_unicode=True))


def short_label(semester: Semester) -> str:
    """A semester as an axis names it: 2016秋 (the first term, from September), 2017春 (the second)."""
    if semester.term == 1:
        return _("%(year)s autumn") % {"year": semester.academic_year}
    return _("%(year)s spring") % {"year": semester.academic_year + 1}


def compliance_by_county(report: SemesterReport) -> str:
    """A bar per county with pairings: its share of compliant pairings in the semester; for one county (a county
    bureau's report), a bar per stage of it."""
    rows = [c.row for c in report.counties if c.row.pairings]
    if len(report.counties) == 1:
        rows = [r for r in report.counties[0].stages if r.pairings]
    chart = pygal.Bar(
        **_config(),
        show_legend=False,
        print_values=True,
        margin_bottom=36 if len(rows) > 5 else 12,  # pygal measures Chinese labels as if Latin: room for them
        x_label_rotation=0 if len(rows) <= 5 else 40,
    )
    chart.x_labels = [r.stage_label if r.stage else county_display_name(r.county) for r in rows]
    chart.add(_("compliant share"), [r.share for r in rows])
    return _svg(chart)


def compliance_trend(report: SemesterReport) -> str:
    """A line of the semesters of the cycle so far: the area's share in bold, and each county's when there are
    few enough to read."""
    chart = pygal.Line(
        **_config(),
        legend_at_bottom=True,
        legend_at_bottom_columns=4,
        show_legend=1 < len(report.counties) <= MAX_COUNTY_LINES,
        x_label_rotation=0 if len(report.trend) <= 3 else 25,
        margin_bottom=24 if len(report.trend) > 3 else 12,
        truncate_label=-1,
        dots_size=3,
        allow_interruptions=True,
    )
    chart.x_labels = [short_label(point.semester) for point in report.trend]
    if len(report.counties) == 1:
        name = county_display_name(report.counties[0].row.county)
    else:
        name = _("whole city")
    chart.add(name, [point.share for point in report.trend], stroke_style={"width": 4})
    if 1 < len(report.counties) <= MAX_COUNTY_LINES:
        for county in report.counties:
            cid = county.row.county.pk if county.row.county else None
            values = [point.counties.get(cid) for point in report.trend]
            if any(v is not None for v in values):
                chart.add(county_display_name(county.row.county), values, stroke_style={"width": 1.5})
    return _svg(chart)
