"""The home page's items of the inspections: what a school or county must rectify (overdue apart), what the city
must verify, and the drafts an inspector has still to sign — each linking to the list behind its count."""

import datetime
import re

import pytest
from django.urls import reverse

from inspections.models import Finding
from inspections.services import finding_rectify, finding_save

pytestmark = pytest.mark.django_db


def item(html: str, label: str) -> tuple[str, int]:
    found = re.search(
        rf'<a href="([^"]+)">\s*<span class="home-label">{label}</span>\s*<span class="home-count">(\d+)</span>', html
    )
    assert found, label
    return found[1].replace("&amp;", "&"), int(found[2])


def test_r28_home_pages_count_findings_to_rectify_and_rectifications_to_verify(insp, client):
    signed = insp.inspection(county=insp.land.own)
    deadlines = [datetime.date(2016, 12, 20), datetime.date(2099, 1, 1)]  # one overdue, one not
    findings = [
        finding_save(
            finding=Finding(inspection=signed, school=insp.land.own_school, text=f"问题{i}", deadline=deadline),
            actor=insp.users["county_inspector"],
        )
        for i, deadline in enumerate(deadlines)
    ]
    finding_save(
        finding=Finding(inspection=signed, county=insp.land.own, text="县局台账不全", deadline=deadlines[1]),
        actor=insp.users["county_inspector"],
    )
    insp.sign(signed)
    findings = [Finding.objects.get(pk=f.pk) for f in findings]
    draft = insp.inspection(school=insp.land.own_school)  # a draft's finding awaits signing: not yet counted
    finding_save(
        finding=Finding(inspection=draft, school=insp.land.own_school, text="草稿中的问题", deadline=deadlines[1]),
        actor=insp.users["county_inspector"],
    )

    client.force_login(insp.users["recipient"])
    html = client.get(reverse("admin:index")).content.decode()
    url, count = item(html, "本校待整改的问题")
    assert count == 2 and "1 项逾期" in html
    listing = client.get(url)
    assert set(listing.context["cl"].result_list) == set(findings)

    client.force_login(insp.users["county"])
    html = client.get(reverse("admin:index")).content.decode()
    assert item(html, "本县待整改的问题")[1] == 3
    assert item(html, "未签署的督导检查")[1] == 1  # the bureau records its county's self-inspections

    findings[1].rectification = "已整改"
    finding_rectify(finding=findings[1], actor=insp.users["recipient"])
    client.force_login(insp.users["city"])
    html = client.get(reverse("admin:index")).content.decode()
    url, count = item(html, "待核验的整改")
    assert count == 1
    assert list(client.get(url).context["cl"].result_list) == [Finding.objects.get(pk=findings[1].pk)]

    client.force_login(insp.users["recipient"])
    html = client.get(reverse("admin:index")).content.decode()
    assert item(html, "本校待整改的问题")[1] == 1


def test_r28_an_inspector_sees_its_drafts_and_no_rectification_item(insp, client):
    insp.inspection()
    client.force_login(insp.users["county_inspector"])
    html = client.get(reverse("admin:index")).content.decode()
    url, count = item(html, "未签署的督导检查")
    assert count == 1 and len(client.get(url).context["cl"].result_list) == 1
    assert "待整改的问题" not in html and "待核验的整改" not in html
    client.force_login(insp.users["helper"])
    html = client.get(reverse("admin:index")).content.decode()
    assert "未签署的督导检查" not in html and item(html, "本校待整改的问题")[1] == 0
