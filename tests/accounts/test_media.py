"""Uploaded documents are served only to users who may see their record."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pairings.models import Agreement
from pairings.services import agreement_save, work_plan_submit

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def scan_url(land):
    agreement = Agreement.objects.get(pk=land.own_agreement.pk)
    agreement.scan = SimpleUploadedFile("协议.pdf", PDF)
    agreement_save(agreement=agreement, actor=None)
    return agreement.scan.url


def test_a_scan_is_served_to_users_who_see_its_pairing(as_user, scan_url):
    response = as_user("school").get(scan_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"


@pytest.mark.parametrize("role", ["district"])
def test_a_scan_is_not_served_outside_the_scope(as_user, scan_url, role):
    assert as_user(role).get(scan_url).status_code == 404


def test_a_scan_needs_a_login(client, scan_url):
    response = client.get(scan_url)
    assert response.status_code == 302 and response.url.startswith("/admin/login/")


def test_a_work_plan_is_served_to_its_county_only(as_user, land):
    plan = work_plan_submit(
        plan=land.own_plan, actor=land.users["county"], submitted_on=datetime.date(2016, 9, 10),
        document=SimpleUploadedFile("方案.pdf", PDF), has_arrangement_tables=True,
    )  # fmt: skip
    assert as_user("county").get(plan.document.url).status_code == 200
    assert as_user("district").get(plan.document.url).status_code == 404


def test_unknown_paths_are_not_served(as_user, land):
    assert as_user("city").get("/media/../settings.py").status_code == 404
    assert as_user("city").get("/media/agreements/none.pdf").status_code == 404
