"""Uploaded documents are served only to users who may see their record."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.services import user_create
from liuzhou_pairing.actors import SYSTEM
from pairings.models import Agreement, WorkPlan
from pairings.services import agreement_save, work_plan_review, work_plan_submit
from tests.accounts.conftest import PASSWORD
from tests.helpers import attach_tables

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def scan_url(land):
    agreement = Agreement.objects.get(pk=land.own_agreement.pk)
    agreement.scan = SimpleUploadedFile("协议.pdf", PDF)
    agreement_save(agreement=agreement, actor=SYSTEM)
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
    attach_tables(land.own_plan)
    plan = work_plan_submit(
        plan=land.own_plan, actor=land.users["county"], submitted_on=datetime.date(2016, 9, 10),
        document=SimpleUploadedFile("方案.pdf", PDF),
    )  # fmt: skip
    assert as_user("county").get(plan.document.url).status_code == 200
    assert as_user("district").get(plan.document.url).status_code == 404


def test_unknown_paths_are_not_served(as_user, land):
    assert as_user("city").get("/media/../settings.py").status_code == 404
    assert as_user("city").get("/media/agreements/none.pdf").status_code == 404


# --- Earlier versions of a replaced upload stay downloadable from the history ------------------------------

PDF_B = b"%PDF-1.7\nsecond scan\n%%EOF\n"


@pytest.fixture
def replaced_scan(land):
    """Scan A uploaded, then replaced by scan B through the service by school staff; return (A, B) urls."""
    agreement = Agreement.objects.get(pk=land.own_agreement.pk)
    agreement.scan = SimpleUploadedFile("协议.pdf", PDF)
    agreement_save(agreement=agreement, actor=land.users["school"])
    first = agreement.scan.url
    agreement = Agreement.objects.get(pk=land.own_agreement.pk)
    agreement.scan = SimpleUploadedFile("协议（重签）.pdf", PDF_B)
    agreement_save(agreement=agreement, actor=land.users["school"])
    assert agreement.scan.url != first
    return first, agreement.scan.url


@pytest.mark.parametrize("role", ["school", "county", "inspector", "city"])
def test_earlier_and_current_scans_are_served_to_users_who_see_the_agreement(as_user, replaced_scan, role):
    first, current = replaced_scan
    client = as_user(role)
    for url, content in [(first, PDF), (current, PDF_B)]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"".join(response.streaming_content) == content


def test_earlier_and_current_scans_are_not_served_to_another_county(client, as_user, land, replaced_scan):
    other = user_create(actor=SYSTEM, username="other", role="county", county=land.other, password=PASSWORD)[0]
    for user in [other, land.district_user]:
        client.force_login(user)
        for url in replaced_scan:
            assert client.get(url).status_code == 404, (user, url)


def test_an_earlier_scan_needs_a_login(client, replaced_scan):
    response = client.get(replaced_scan[0])
    assert response.status_code == 302 and response.url.startswith("/admin/login/")


def test_a_stored_file_in_no_record_is_not_served(as_user, replaced_scan):
    name = default_storage.save("agreements/stray.pdf", ContentFile(PDF))
    assert default_storage.exists(name)
    assert as_user("city").get(f"/media/{name}").status_code == 404


def test_an_earlier_work_plan_is_served_to_its_county_only(as_user, land):
    county = land.users["county"]
    attach_tables(land.own_plan)
    plan = work_plan_submit(
        plan=land.own_plan, actor=county, submitted_on=datetime.date(2016, 9, 10),
        document=SimpleUploadedFile("方案.pdf", PDF),
    )  # fmt: skip
    first = plan.document.url
    work_plan_review(plan=plan, actor=land.users["city"], accept=False, reason="缺少公章")
    plan = work_plan_submit(
        plan=WorkPlan.objects.get(pk=plan.pk), actor=county, submitted_on=datetime.date(2016, 9, 12),
        document=SimpleUploadedFile("方案.pdf", PDF_B),
    )  # fmt: skip
    assert plan.document.url != first
    assert as_user("county").get(first).status_code == 200
    assert as_user("district").get(first).status_code == 404


@pytest.mark.parametrize("role", ["school", "inspector"])
def test_the_history_links_to_the_earlier_scan(as_user, land, replaced_scan, role):
    """The history page lists each version; the page of a version links to the file that version held."""
    first, _current = replaced_scan
    client = as_user(role)
    history = client.get(reverse("admin:pairings_agreement_history", args=[land.own_agreement.pk]))
    assert history.status_code == 200
    version = land.own_agreement.history.get(scan=first.removeprefix("/media/"))
    version_url = reverse("admin:pairings_agreement_simple_history", args=[land.own_agreement.pk, version.pk])
    assert version_url in history.content.decode()
    page = client.get(version_url).content.decode()
    assert f'href="{first}"' in page
    assert client.get(first).status_code == 200
