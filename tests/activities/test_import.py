"""Participants named in text, the activity form's two name fields, and the activities import (issue 10, points 1
and 8): every row checked on `activity_save`'s terms as it is read and the file written together, new staff created
and shown as new, nothing written when a row fails, a bounded number of queries per file."""

import datetime
import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from activities.choices import Confirmation, Kind, Post
from activities.models import Activity, Staff
from activities.services import activity_reject, parse_names, staff_from_names
from liuzhou_pairing.actors import SYSTEM
from pairings.services import semester_update
from tests.helpers import admin_form_data, xlsx_upload

pytestmark = pytest.mark.django_db

IMPORT = "admin:activities_activity_import"
PROCESS = "admin:activities_activity_process_import"
TEMPLATE = "admin:activities_activity_import_template"
HEADERS = ["帮扶学校", "受援学校", "活动日期", "活动类别", "帮扶形式", "帮扶措施", "工作重点", "帮扶学校参与人员",
           "受援学校参与人员", "受益教师数", "受益学生数", "活动内容"]  # fmt: skip


@pytest.fixture(autouse=True)
def open_window(acts):
    """The import uses the real date: the 2016—2017 first semester's entries stay open for these tests."""
    semester = acts.pairing.cycle.semester_rows.get(academic_year=2016, term=1)
    semester_update(semester=semester, actor=SYSTEM, entry_closes_on=datetime.date(2099, 12, 31))
    return semester


def row(acts, **changes) -> list:
    values = {
        "帮扶学校": acts.helper.name, "受援学校": acts.recipient.name, "活动日期": "2016-10-10", "活动类别": "送教",
        "帮扶形式": "送教下乡", "帮扶措施": "教师发展帮扶", "工作重点": "教书育人",
        "帮扶学校参与人员": "王老师、刘新（骨干）", "受援学校参与人员": "张主任", "受益教师数": 12, "受益学生数": 40,
        "活动内容": "三年级数学示范课",
    }  # fmt: skip
    values.update(changes)
    return [values[h] for h in HEADERS]


def post_file(client, file):
    return client.post(reverse(IMPORT), {"format": "0", "resource": "0", "import_file": file})


def preview_of(client, rows, headers=HEADERS):
    response = post_file(client, xlsx_upload(headers, rows))
    assert response.status_code == 200
    return response


def confirm(client, response):
    form = response.context.get("confirm_form")
    assert form is not None, response.context["preview"].refused_rows
    return client.post(reverse(PROCESS), form.initial)


def refused(response) -> dict[int, str]:
    """Return {line: the row's reasons as one text}, asserting nothing can be confirmed."""
    assert response.context.get("confirm_form") is None
    return {r.line: "；".join(f"{c}：{m}" for c, m in r.reasons) for r in response.context["preview"].refused_rows}


def login(client, acts, role):
    client.force_login(acts.users[role])
    return client


# --- Participants named in text ---------------------------------------------------------------------------------


def test_names_are_read_with_every_separator_and_bracket():
    text = "李明、王芳（骨干）， 张校长(领导)；赵六;钱七  孙八 ( 学校领导 ),李明"
    assert parse_names(text) == [
        ("李明", Post.TEACHER), ("王芳", Post.KEY_STAFF), ("张校长", Post.LEADER), ("赵六", Post.TEACHER),
        ("钱七", Post.TEACHER), ("孙八", Post.LEADER),
    ]  # fmt: skip
    assert parse_names("  ") == []


def test_an_unknown_post_is_refused_in_chinese_naming_it():
    with pytest.raises(ValidationError) as error:
        parse_names("李明（校长助理）")
    assert "校长助理" in error.value.messages[0] and "李明" in error.value.messages[0]


def test_staff_from_names_finds_creates_and_previews(acts):
    school_user = acts.users["helper"]
    preview = staff_from_names("王老师、刘新（骨干）", acts.helper, actor=school_user, preview=True)
    assert preview.staff[0] == acts.helper_teacher and preview.new_names == ["刘新"]
    assert not Staff.objects.filter(name="刘新").exists()
    named = staff_from_names("王老师、刘新（骨干）", acts.helper, actor=school_user)
    assert named.new_names == ["刘新"]
    created = Staff.objects.get(name="刘新")
    assert created.school == acts.helper and created.post == Post.KEY_STAFF and named.staff[1] == created
    assert staff_from_names("刘新", acts.helper, actor=school_user).new == []


# --- The activity form's two text fields --------------------------------------------------------------------------


def form_data(client, acts, **changes):
    data = admin_form_data(client.get(reverse("admin:activities_activity_add")))
    data.update({
        "pairing": acts.pairing.pk, "date": "2016-10-10", "kind": Kind.TEACHING_DELIVERY, "form": "teaching_delivery",
        "measure": "teacher_development", "teachers_reached": 3, "students_reached": 10,
        "participants": [acts.helper_teacher.pk],
    })  # fmt: skip
    data.update(changes)
    return data


def test_the_form_creates_named_staff_in_the_right_schools(client, acts):
    page = login(client, acts, "county")
    data = form_data(page, acts, helper_names="刘新（骨干）、王老师", recipient_names="陈静")
    response = page.post(reverse("admin:activities_activity_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    activity = Activity.objects.get()
    assert Staff.objects.get(name="刘新").school == acts.helper
    assert Staff.objects.get(name="陈静").school == acts.recipient
    assert {p.name for p in activity.participants.all()} == {"王老师", "刘新", "陈静"}
    assert activity.status == Confirmation.CONFIRMED


def test_the_form_creates_nothing_when_the_activity_is_refused(client, acts):
    page = login(client, acts, "helper")
    # The activity is refused (a focus of another stage): the names typed for both schools are not kept.
    data = form_data(page, acts, helper_names="刘新", recipient_names="陈静", focus="care_quality")
    response = page.post(reverse("admin:activities_activity_add"), data)
    assert response.status_code == 200
    assert "focus" in response.context["adminform"].form.errors
    assert not Staff.objects.filter(name__in=["刘新", "陈静"]).exists() and not Activity.objects.exists()
    response = page.post(reverse("admin:activities_activity_add"), form_data(page, acts, helper_names="刘新（校工）"))
    assert "校工" in " ".join(response.context["adminform"].form.errors["helper_names"])
    page_text = page.get(reverse("admin:activities_activity_add")).content.decode()
    assert "帮扶学校其他参与人员" in page_text and "受援学校其他参与人员" in page_text


# --- The import -------------------------------------------------------------------------------------------------


def test_a_school_imports_pending_activities_and_new_staff_shown_as_new(client, acts):
    page = login(client, acts, "helper")
    second = row(acts, 活动日期="2016-10-17", 活动类别="联合教研", 帮扶学校参与人员="王老师", 受援学校参与人员="")
    rows = [row(acts), second]
    response = preview_of(page, rows)
    preview = response.context["preview"]
    assert preview.new == 2 and preview.refused == 0
    assert preview.notices == [f"将新建人员（{acts.helper.name}）：刘新。"]
    assert "刘新（新）" in response.content.decode()
    assert not Staff.objects.filter(name="刘新").exists() and not Activity.objects.exists()  # nothing at preview
    assert confirm(page, response).status_code == 302
    activities = list(Activity.objects.order_by("date"))
    assert [a.status for a in activities] == [Confirmation.PENDING, Confirmation.PENDING]
    assert {p.name for p in activities[0].participants.all()} == {"王老师", "刘新", "张主任"}
    assert Staff.objects.get(name="刘新").post == Post.KEY_STAFF
    assert activities[1].kind == Kind.JOINT_RESEARCH


def test_a_county_imports_confirmed_activities_naming_new_staff_of_both_schools(client, acts):
    page = login(client, acts, "county")
    response = preview_of(page, [row(acts, 受援学校参与人员="陈静（领导）")])
    assert len(response.context["preview"].notices) == 2
    confirm(page, response)
    assert Activity.objects.get().status == Confirmation.CONFIRMED
    assert Staff.objects.get(name="陈静").school == acts.recipient


def test_bad_rows_are_refused_by_line_in_chinese_and_nothing_is_written(client, acts, open_window):
    other = acts.land.other_pairing
    rows = [
        row(acts),  # line 2: good, and new staff
        row(acts, 受援学校="不存在的学校"),  # 3
        row(acts, 活动日期="2016-08-01"),  # 4: before the pairing (and its cycle) began
        row(acts, 活动类别="参观"),  # 5
        row(acts, 受援学校参与人员="陈静（校长）"),  # 6: a post the import does not know
        row(acts),  # 7: the same as line 2
        row(acts, 帮扶学校=other.helper.name, 受援学校=other.recipient.name),  # 8: not the school's pairing
        row(acts, 工作重点="保教质量", 活动日期="2016-10-12"),  # 9: not the pairing's stage
    ]
    response = preview_of(login(client, acts, "helper"), rows)
    lines = refused(response)
    assert set(lines) == {3, 4, 5, 6, 7, 8, 9}
    assert "受援学校" in lines[3] and "不存在的学校" in lines[3]
    assert "活动日期" in lines[4]
    assert "活动类别" in lines[5] and "参观" in lines[5]
    assert "受援学校参与人员" in lines[6] and "校长" in lines[6]
    assert "第 2 行" in lines[7]
    assert other.helper.name in lines[8]
    assert "工作重点" in lines[9]
    assert not Activity.objects.exists() and not Staff.objects.filter(name__in=["刘新", "陈静"]).exists()


def test_a_row_after_the_entry_window_is_refused_for_a_school(client, acts, open_window):
    semester_update(semester=open_window, actor=SYSTEM, entry_closes_on=datetime.date(2017, 3, 30))
    lines = refused(preview_of(login(client, acts, "helper"), [row(acts), row(acts, 活动日期="2016-10-11")]))
    assert set(lines) == {2, 3} and "2017-03-30" in lines[2]
    assert not Activity.objects.exists() and not Staff.objects.filter(name="刘新").exists()


def test_a_gbk_csv_with_chinese_headers_imports(client, acts):
    page = login(client, acts, "helper")
    text = ",".join(HEADERS) + "\r\n" + ",".join(str(v) for v in row(acts, 帮扶学校参与人员="王老师")) + "\r\n"
    file = io.BytesIO(text.encode("gbk"))
    file.name = "活动.csv"
    response = post_file(page, file)
    assert response.context["preview"].new == 1
    confirm(page, response)
    assert Activity.objects.get().description == "三年级数学示范课"


def test_the_template_downloads_with_drop_downs_and_its_examples_shape_a_file_that_imports(client, acts):
    page = login(client, acts, "helper")
    assert reverse(TEMPLATE) in page.get(reverse(IMPORT)).content.decode()
    book = openpyxl.load_workbook(io.BytesIO(page.get(reverse(TEMPLATE)).content))
    data, explanation = book["数据"], book["填写说明"]
    headers = [c.value for c in data[1]]
    assert headers == [*HEADERS, "捐赠物品", "捐赠数量", "捐赠金额（元）"]
    assert "学期" not in headers and "确认状态" not in headers
    lists = {headers[next(iter(v.sqref.ranges)).min_col - 1] for v in data.data_validations.dataValidation}
    assert {"活动类别", "帮扶形式", "帮扶措施", "工作重点"} <= lists
    text = " ".join(str(c) for r in explanation.iter_rows(values_only=True) for c in r if c)
    assert "困境学生" in text and "姓名" in text
    # The template's headers, filled with a row of this land, import.
    values = dict(zip(HEADERS, row(acts), strict=True))
    response = preview_of(page, [[values.get(h, "") for h in headers]], headers=headers)
    assert response.context["preview"].new == 1, response.context["preview"].refused_rows


def test_an_exported_file_imports_back_as_unchanged(client, acts):
    acts.activity()  # 王老师, by the helper school
    page = login(client, acts, "helper")
    export = page.post(reverse("admin:activities_activity_export"), {"format": "0", "resource": "0"})
    assert export.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(export.content))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    values = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    assert values[0][headers.index("帮扶学校参与人员")] == "王老师"
    response = preview_of(page, values, headers=headers)
    assert response.context["preview"].unchanged == 1 and response.context["preview"].new == 0
    # The same activity with another description is refused as already recorded, not duplicated.
    values[0][headers.index("活动内容")] = "另一段描述"
    lines = refused(preview_of(page, values, headers=headers))
    assert "已" in lines[2] and Activity.objects.count() == 1


def test_an_identical_row_of_a_rejected_activity_imports_as_new(client, acts):
    """A rejected activity does not count: the same row imported again is a new activity (as the form allows),
    not an unchanged one."""
    rejected = acts.activity()
    page = login(client, acts, "helper")
    export = page.post(reverse("admin:activities_activity_export"), {"format": "0", "resource": "0"})
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).worksheets[0]
    headers = [c.value for c in sheet[1]]
    values = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    activity_reject(activity=rejected, actor=acts.users["recipient"], reason="日期不对")
    response = preview_of(page, values, headers=headers)
    assert response.context["preview"].new == 1 and response.context["preview"].unchanged == 0
    assert confirm(page, response).status_code == 302
    again = Activity.objects.exclude(pk=rejected.pk).get()
    assert again.status == Confirmation.PENDING and again.description == rejected.description
    assert [p.name for p in again.participants.all()] == ["王老师"]


def rows_of(acts, n: int, kind: str) -> list[list]:
    """`n` activities on `n` days, each naming a staff member new to the helping school and stored ones."""
    return [
        row(acts, 活动日期=(datetime.date(2016, 10, 1) + datetime.timedelta(days=i)).isoformat(), 活动类别=kind,
            帮扶学校参与人员=f"王老师、新人{n}-{i}（骨干）")
        for i in range(n)
    ]  # fmt: skip


def test_an_activities_import_costs_the_same_queries_for_10_rows_as_for_60(client, acts):
    """The user's pairings, the schools' staff and the stored activities are read once per file, each row is
    checked without a query, and the activities and new staff are written together at the end: a file of 60 rows
    costs the same queries as one of 10, to preview and to confirm. Only SQLite's cap on the values of one
    statement (999) splits the INSERT of many rows of a wide table: one more statement per table at most."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def counted(queries) -> tuple[int, dict[str, int]]:
        inserts: dict[str, int] = {}
        for query in queries.captured_queries:
            if query["sql"].startswith("INSERT INTO"):
                table = query["sql"].split('"')[1]
                inserts[table] = inserts.get(table, 0) + 1
        return len(queries) - sum(inserts.values()), inserts

    acts.activity()  # a stored activity the rows are compared with
    page = login(client, acts, "helper")
    counts = {}
    for n, kind in ((10, "送教"), (60, "联合教研")):
        with CaptureQueriesContext(connection) as previewed:
            response = preview_of(page, rows_of(acts, n, kind))
        assert response.context["preview"].new == n
        with CaptureQueriesContext(connection) as confirmed:
            assert confirm(page, response).status_code == 302
        counts[n] = (counted(previewed), counted(confirmed))
    assert Activity.objects.count() == 71 and Staff.objects.filter(name__startswith="新人").count() == 70
    for (few, few_inserts), (many, many_inserts) in zip(counts[10], counts[60], strict=True):
        assert few == many, counts
        assert few_inserts.keys() == many_inserts.keys(), counts
        assert all(many_inserts[t] <= few_inserts[t] + 1 for t in few_inserts), counts


def test_a_new_name_on_several_rows_is_one_new_staff_member_and_rows_differ_by_their_new_names(client, acts):
    page = login(client, acts, "helper")
    rows = [
        row(acts, 帮扶学校参与人员="王老师、刘新（骨干）", 受援学校参与人员=""),
        row(acts, 帮扶学校参与人员="王老师、陈新", 受援学校参与人员=""),  # same day and kind, another new name
        row(acts, 活动日期="2016-10-11", 帮扶学校参与人员="刘新", 受援学校参与人员=""),
    ]
    response = preview_of(page, rows)
    assert response.context["preview"].new == 3
    assert response.content.decode().count("刘新（新）") == 2
    confirm(page, response)
    liu = Staff.objects.get(name="刘新")
    assert liu.post == Post.KEY_STAFF and Staff.objects.filter(name="陈新").count() == 1
    assert Activity.objects.filter(participants=liu).count() == 2 and Activity.objects.count() == 3


def test_a_row_of_a_recorded_activity_with_other_columns_is_refused_on_its_line(client, acts):
    acts.activity()  # 2016-10-10, 送教, 王老师, by the helper school
    page = login(client, acts, "helper")
    rows = [
        row(acts, 活动日期="2016-10-12"),  # line 2: good, with a new staff member
        row(acts, 帮扶学校参与人员="王老师", 受援学校参与人员="", 工作重点=""),  # 3: recorded, another description
    ]
    lines = refused(preview_of(page, rows))
    assert set(lines) == {3} and "已" in lines[3]
    assert Activity.objects.count() == 1 and not Staff.objects.filter(name="刘新").exists()
