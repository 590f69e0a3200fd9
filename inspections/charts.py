"""Charts of the semester report, drawn on the server as SVG with pygal and embedded in the page.

pygal's SVG links its tooltips' JavaScript from a CDN by default: here no script (`js=[]`), its CSS inlined, its
comments (which name web sites) and inline configuration script removed, so the page loads nothing from outside."""

import re

import pygal
from django.utils.translation import gettext as _
from pygal.style import Style

from liuzhou_pairing.home import county_display_name

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
    title_font_size=15,
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=12,
    value_font_size=11,
)  # fmt: skip
# Its comments name web sites; its inline script only configures the tooltips' JavaScript, which is not loaded.
UNUSED = re.compile(r"<!--.*?-->|<script\b.*?</script>", re.S)


def _config() -> dict:
    return {
        "js": [],  # no script fetched from pygal's CDN
        "disable_xml_declaration": True,  # embedded in the page
        "style": STYLE,
        "width": 1000,
        "height": 360,
        "explicit_size": False,  # scales to its box
        "range": (0, 1),
        "value_formatter": lambda v: f"{v:.0%}",
        "y_labels": [0, 0.25, 0.5, 0.75, 1],
        "margin": 12,
    }


def _svg(chart) -> str:
    return UNUSED.sub("", chart.render(is_unicode=True))


def compliance_by_county(report: SemesterReport) -> str:
    """A bar per county with pairings: its share of compliant pairings in the semester."""
    rows = [c.row for c in report.counties if c.row.pairings]
    chart = pygal.Bar(
        **_config(),
        title=_("Share of compliant pairings by county"),
        show_legend=False,
        print_values=True,
        x_label_rotation=0 if len(rows) <= 8 else 30,
    )
    chart.x_labels = [county_display_name(r.county) for r in rows]
    chart.add(_("compliant share"), [r.share for r in rows])
    return _svg(chart)


def compliance_trend(report: SemesterReport) -> str:
    """A line of the semesters of the cycle so far: the area's share in bold, and each county's."""
    chart = pygal.Line(
        **_config(),
        title=_("Share of compliant pairings over the cycle's semesters"),
        legend_at_bottom=True,
        legend_at_bottom_columns=7,
        dots_size=3,
        allow_interruptions=True,
    )
    chart.x_labels = [point.semester.label for point in report.trend]
    if len(report.counties) == 1:
        name = county_display_name(report.counties[0].row.county)
    else:
        name = _("whole city")
    chart.add(name, [point.share for point in report.trend], stroke_style={"width": 4})
    if len(report.counties) > 1:
        for county in report.counties:
            cid = county.row.county.pk if county.row.county else None
            values = [point.counties.get(cid) for point in report.trend]
            if any(v is not None for v in values):
                chart.add(county_display_name(county.row.county), values, stroke_style={"width": 1.5})
    return _svg(chart)
