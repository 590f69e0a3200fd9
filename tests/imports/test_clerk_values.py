"""Values as clerks write them: dates in the forms Chinese Excel uses, and a county's arranging unit."""

import datetime

import pytest

from pairings.models import Pairing
from tests.helpers import post_import

pytestmark = pytest.mark.django_db

HEADERS = ["帮扶周期", "学段", "帮扶层级", "帮扶学校", "受援学校", "安排单位", "开始日期"]


def refused(response) -> dict[int, str]:
    """The refused rows by spreadsheet line (the header is line 1)."""
    return {
        row.number + 1: " ".join(str(m) for messages in row.error_dict.values() for m in messages)
        for row in response.context["result"].invalid_rows
    }


def test_dates_in_the_forms_excel_writes_are_read_and_others_refused_in_chinese(as_user, land):
    client = as_user("county")
    for text in ("2017/3/1", "2017-03-01", "2017.3.1", "2017年3月1日"):
        row = [land.cycle.name, "义务教育", "乡—村", "甲镇中心小学", "甲村小学", "", text]
        response = post_import(client, "admin:pairings_pairing_import", HEADERS, [row])
        assert refused(response) == {}, text
        (result,) = response.context["result"].rows
        assert result.import_type == "update", text  # the start date changes to 2017-03-01
    row = [land.cycle.name, "义务教育", "乡—村", "甲镇中心小学", "甲村小学", "", "三月一日"]
    errors = refused(post_import(client, "admin:pairings_pairing_import", HEADERS, [row]))
    assert "日期请写成 2016-09-01 或 2016/9/1 的形式" in errors[2]
    assert "Value could not be parsed" not in errors[2]


def test_a_start_date_outside_the_cycle_is_refused(as_user, land):
    row = [land.cycle.name, "义务教育", "乡—村", "甲镇中心小学", "甲村小学", "", "2030-01-01"]
    errors = refused(post_import(as_user("county"), "admin:pairings_pairing_import", HEADERS, [row]))
    assert "结对的开始日期应在帮扶周期内" in errors[2]
    assert Pairing.objects.get(pk=land.own_pairing.pk).starts_on != datetime.date(2030, 1, 1)


def test_a_county_naming_the_city_bureau_as_arranging_unit_is_refused(as_user, land):
    row = [land.cycle.name, "义务教育", "乡—村", "甲镇中心小学", "甲村小学", "市教育局", ""]
    errors = refused(post_import(as_user("county"), "admin:pairings_pairing_import", HEADERS, [row]))
    assert "县（区）教育局只能以本单位名义安排结对" in errors[2]
