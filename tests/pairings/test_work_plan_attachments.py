"""Attachments of a work plan (R25): the arrangement tables (R27) a county generates and attaches before submitting,
other papers beside the stamped plan; added and removed by the unit or the city until the plan is accepted,
checked by content, served only to who may see the plan; "arrangement tables attached" follows from them."""

import datetime
import io
from urllib.parse import quote

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from liuzhou_pairing.access import NotAllowed
from liuzhou_pairing.actors import SYSTEM
from pairings.admin import ATTACH_TABLES
from pairings.arrangement_views import ARRANGEMENT_KINDS, arrangement_sheets
from pairings.choices import AttachmentKind, WorkPlanStatus
from pairings.models import WorkPlan, WorkPlanAttachment
from pairings.services import (
    work_plan_attachment_add,
    work_plan_attachment_remove,
    work_plan_review,
    work_plan_submit,
    work_plan_tables_attach,
)
from tests.helpers import admin_form_data, attach_tables

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(content: bytes = PDF, name: str = "附件.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def xlsx_bytes() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["甲", "乙"])
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def change_url(plan: WorkPlan) -> str:
    return reverse("admin:pairings_workplan_change", args=[plan.pk])


def submit(plan, actor):
    return work_plan_submit(plan=plan, actor=actor, submitted_on=datetime.date(2016, 9, 14), document=upload())


def test_r25_a_county_generates_and_attaches_its_tables_on_its_work_plan_page(as_user, land):
    client = as_user("county")
    page = client.get(change_url(land.own_plan)).content.decode()
    assert "生成并附上安排表" in page
    response = client.post(change_url(land.own_plan), {**admin_form_data(client.get(change_url(land.own_plan))),
                                                       ATTACH_TABLES: "1"})  # fmt: skip
    assert response.status_code == 302
    attachment = WorkPlanAttachment.objects.get(work_plan=land.own_plan)
    assert attachment.kind == AttachmentKind.ARRANGEMENT_TABLES
    assert attachment.original_name.startswith("甲县结对帮扶安排表_") and attachment.original_name.endswith(".xlsx")
    assert attachment.file.name.endswith(".xlsx")
    assert WorkPlan.objects.get(pk=land.own_plan.pk).has_arrangement_tables
    page = client.get(change_url(land.own_plan)).content.decode()
    assert "已生成并附上安排表" in page and attachment.original_name in page
    # One workbook, a sheet per table by its official name, each as the county's page downloads it.
    book = openpyxl.load_workbook(attachment.file.open("rb"))
    assert book.sheetnames == [str(view.title) for view in ARRANGEMENT_KINDS.values()]
    for sheet, (kind, view) in zip(book.worksheets, ARRANGEMENT_KINDS.items(), strict=True):
        web = openpyxl.load_workbook(io.BytesIO(client.get(reverse(view.url_name), {"format": "xlsx"}).content))
        assert list(sheet.iter_rows(values_only=True)) == list(web.active.iter_rows(values_only=True)), kind
    compulsory = book["柳州市三级中小学结对帮扶安排表"]
    rows = [row for row in compulsory.iter_rows(values_only=True)]
    assert any(row[2] == "丙区实验小学" and row[7] == "甲镇中心小学" for row in rows)  # the 市—县 pair (R12)
    assert not any("乙镇中心小学" in (row[2], row[7]) for row in rows)  # nothing of another county
    # The file is served to who may see the plan only.
    url = attachment.file.url
    assert client.get(url).status_code == 200
    assert as_user("city").get(url).status_code == 200
    assert as_user("district").get(url).status_code == 404
    attachment.file.delete(save=False)


def test_r25_the_tables_are_the_same_whoever_generates_them(land):
    as_city = work_plan_tables_attach(plan=land.own_plan, actor=land.users["city"])
    as_county = work_plan_tables_attach(plan=land.own_plan, actor=land.users["county"])
    books = [openpyxl.load_workbook(a.file.open("rb")) for a in (as_city, as_county)]
    assert [[list(s.iter_rows(values_only=True)) for s in b.worksheets] for b in books][0] == [
        list(s.iter_rows(values_only=True)) for s in books[1].worksheets
    ]
    sheets = arrangement_sheets("districts", cycle=land.cycle, user=SYSTEM, county=land.own)
    assert [s.unit for s in sheets] == ["甲县教育局"]
    for a in (as_city, as_county):
        a.file.delete(save=False)


def test_r25_a_county_plan_without_its_tables_is_not_submitted_from_its_page(as_user, land):
    client = as_user("county")
    data = admin_form_data(client.get(change_url(land.own_plan)))
    data.update(status="submitted", submitted_on="2016-09-14", document=upload())
    response = client.post(change_url(land.own_plan), data)
    assert response.status_code == 200
    assert "县（区）工作方案必须附各级学校、幼儿园结对帮扶安排表" in response.content.decode()
    land.own_plan.refresh_from_db()
    assert land.own_plan.status == WorkPlanStatus.MISSING and not land.own_plan.document


def test_r25_a_county_uploads_an_attachment_on_its_page_and_removes_it(as_user, land):
    client = as_user("county")
    data = admin_form_data(client.get(change_url(land.own_plan)))
    data.update({"attachments-TOTAL_FORMS": "1", "attachments-0-kind": "tables",
                 "attachments-0-file": upload(xlsx_bytes(), "盖章安排表.xlsx")})  # fmt: skip
    assert client.post(change_url(land.own_plan), data).status_code == 302
    attachment = WorkPlanAttachment.objects.get(work_plan=land.own_plan)
    assert (attachment.kind, attachment.original_name) == ("tables", "盖章安排表.xlsx")
    # Downloaded, it is saved under the name it was uploaded with, not the stored one.
    served = client.get(attachment.file.url)
    assert quote("盖章安排表.xlsx") in served["Content-Disposition"]
    assert b"".join(served.streaming_content).startswith(b"PK")  # read through: the client closes it
    data = admin_form_data(client.get(change_url(land.own_plan)))
    data["attachments-0-DELETE"] = "on"
    assert client.post(change_url(land.own_plan), data).status_code == 302
    assert not WorkPlanAttachment.objects.exists()
    # The removal is kept in the attachment's history, by whom; the stored file stays but is served no more.
    removed = WorkPlanAttachment.history.get(id=attachment.pk, history_type="-")
    assert removed.history_user.username == client.user.username and removed.original_name == "盖章安排表.xlsx"
    assert attachment.file.storage.exists(attachment.file.name)
    assert client.get(attachment.file.url).status_code == 404
    attachment.file.delete(save=False)


@pytest.mark.parametrize(
    ("content", "name", "accepted"),
    [
        (PDF, "a.pdf", True),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "a.png", True),
        (xlsx_bytes(), "a.xlsx", True),
        (b"PK\x03\x04 not really a zip", "a.xlsx", False),
        (b"MZ\x90\x00 an executable", "a.pdf", False),
        (b"just text", "a.txt", False),
    ],
)
def test_r25_attachments_are_checked_by_content(land, content, name, accepted):
    def add():
        return work_plan_attachment_add(plan=land.own_plan, file=upload(content, name), kind="other", actor=SYSTEM)

    if accepted:
        add().file.delete(save=False)
    else:
        with pytest.raises(ValidationError, match="Excel"):
            add()
        assert not WorkPlanAttachment.objects.exists()


def test_r25_an_attachment_is_at_most_10_mb(land, settings):
    big = upload(PDF + b"0" * (10 * 1024 * 1024), "big.pdf")
    with pytest.raises(ValidationError, match="10.0"):
        work_plan_attachment_add(plan=land.own_plan, file=big, kind="other", actor=SYSTEM)


def test_r25_only_the_unit_or_the_city_changes_attachments_and_only_until_accepted(as_user, land):
    county, city = land.users["county"], land.users["city"]
    for name in ("school", "inspector", "region"):
        with pytest.raises(NotAllowed, match="报送单位或市教育局"):
            work_plan_attachment_add(plan=land.own_plan, file=upload(), kind="other", actor=land.users[name])
    with pytest.raises(NotAllowed):
        work_plan_attachment_add(plan=land.other_plan, file=upload(), kind="other", actor=county)
    with pytest.raises(NotAllowed):
        work_plan_tables_attach(plan=land.other_plan, actor=county)
    tables = attach_tables(land.own_plan, county)
    other = work_plan_attachment_add(plan=land.own_plan, file=upload(), kind="other", actor=city)
    plan = submit(land.own_plan, county)
    work_plan_attachment_remove(attachment=other, actor=county)  # still editable while submitted
    work_plan_review(plan=plan, actor=city, accept=True)
    for actor in (county, city):
        with pytest.raises(NotAllowed, match="已被采纳"):
            work_plan_attachment_add(plan=land.own_plan, file=upload(), kind="other", actor=actor)
        with pytest.raises(NotAllowed, match="已被采纳"):
            work_plan_attachment_remove(attachment=tables, actor=actor)
    assert list(land.own_plan.attachments.all()) == [tables]
    # The accepted plan's page shows the attachments without the button or the upload row.
    page = as_user("county").get(change_url(land.own_plan)).content.decode()
    assert "安排表.pdf" in page and "生成并附上安排表" not in page and "attachments-0-file" not in page
    page = as_user("city").get(change_url(land.own_plan)).content.decode()
    assert "生成并附上安排表" not in page


def test_r25_generating_the_tables_keeps_the_edits_made_on_the_page_before(as_user, land):
    """A clerk fills in the date and chooses the stamped plan, then presses the button: the tables are attached and
    the plan submitted with them; with a refused edit, nothing is kept and the page says why."""
    client = as_user("county")
    data = admin_form_data(client.get(change_url(land.own_plan)))
    data.update({"status": "submitted", "submitted_on": "", "document": upload(), ATTACH_TABLES: "1"})
    response = client.post(change_url(land.own_plan), data)
    assert response.status_code == 200 and "请填写报送日期。" in response.content.decode()
    assert not WorkPlanAttachment.objects.exists()
    assert WorkPlan.objects.get(pk=land.own_plan.pk).status == WorkPlanStatus.MISSING
    data.update({"submitted_on": "2016-09-14", "document": upload()})
    assert client.post(change_url(land.own_plan), data).status_code == 302
    plan = WorkPlan.objects.get(pk=land.own_plan.pk)
    assert plan.status == WorkPlanStatus.SUBMITTED and plan.document and plan.has_arrangement_tables
    assert "已生成并附上安排表" in client.get(change_url(plan)).content.decode()
    plan.document.delete(save=False)
    plan.attachments.get().file.delete(save=False)


def test_r25_a_submitted_county_plan_keeps_its_tables_but_may_replace_them(as_user, land):
    county = land.users["county"]
    tables = attach_tables(land.own_plan, county)
    submit(land.own_plan, county)
    with pytest.raises(NotAllowed, match="须保留安排表"):
        work_plan_attachment_remove(attachment=tables, actor=county)
    assert list(land.own_plan.attachments.all()) == [tables]
    # On the page: a new workbook and the old one ticked for removal in one save replace them.
    client = as_user("county")
    data = admin_form_data(client.get(change_url(land.own_plan)))
    data["attachments-0-DELETE"] = "on"
    data.update({"attachments-TOTAL_FORMS": "2", "attachments-1-kind": "tables",
                 "attachments-1-file": upload(xlsx_bytes(), "新安排表.xlsx")})  # fmt: skip
    assert client.post(change_url(land.own_plan), data).status_code == 302
    assert [a.original_name for a in land.own_plan.attachments.all()] == ["新安排表.xlsx"]
    # Removing the only tables on the page is refused in Chinese, and the plan keeps them.
    data = admin_form_data(client.get(change_url(land.own_plan)))
    data["attachments-0-DELETE"] = "on"
    response = client.post(change_url(land.own_plan), data)
    assert "须保留安排表" in response.content.decode()
    assert [a.original_name for a in land.own_plan.attachments.all()] == ["新安排表.xlsx"]
    from django.core.files.storage import default_storage

    for name in set(WorkPlanAttachment.history.values_list("file", flat=True)):
        default_storage.delete(name)


def test_r25_the_list_shows_and_filters_plans_by_their_attached_tables(as_user, land):
    attach_tables(land.own_plan)
    client = as_user("city")
    url = reverse("admin:pairings_workplan_changelist")
    with_tables = client.get(url, {"tables_attached": "yes"}).context["cl"].result_list
    without = client.get(url, {"tables_attached": "no"}).context["cl"].result_list
    assert [p.pk for p in with_tables] == [land.own_plan.pk]
    assert land.other_plan.pk in [p.pk for p in without] and land.own_plan.pk not in [p.pk for p in without]
    page = client.get(url).content.decode()
    assert "已附安排表" in page


def test_r25_a_schools_plan_is_not_shown_as_missing_its_tables(as_user, land):
    """A school's plan carries no arrangement tables: its cell is neither yes nor no."""
    school_plan = WorkPlan.objects.create(cycle=land.cycle, school=land.urban)
    client = as_user("city")
    changelist = client.get(reverse("admin:pairings_workplan_changelist")).context["cl"]
    admin_page = changelist.model_admin
    assert admin_page.tables_attached(changelist.queryset.get(pk=school_plan.pk)) is None
    assert admin_page.tables_attached(changelist.queryset.get(pk=land.own_plan.pk)) is False
