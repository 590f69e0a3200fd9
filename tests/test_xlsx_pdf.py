"""The look of a printed official table, checked from the PDF LibreOffice makes of the workbook (the PDF substitutes
fonts; the workbook keeps the named ones): A4 landscape, one page wide, the header row and the page number repeated
on the second page. CI installs LibreOffice (libreoffice-calc-nogui, fonts-noto-cjk, poppler-utils)."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from liuzhou_pairing.xlsx import Column, Sheet, write_workbook

NEEDED = ("soffice", "pdftotext", "pdfinfo")
pytestmark = pytest.mark.skipif(
    os.environ.get("CI") != "true" and not all(shutil.which(tool) for tool in NEEDED),
    reason="LibreOffice and poppler-utils are installed by CI (.ci/run)",
)

HEADERS = ["序号", "结对层级", "帮扶学校", "所在县（区）", "所在乡镇", "联系人", "联系电话", "受援学校",
           "所在县（区）", "所在乡镇", "所在村", "联系人", "联系电话", "帮扶期限", "备注"]  # fmt: skip


def to_pdf(workbook: Path, out: Path) -> Path:
    """Convert with a profile of its own, so that conversions may run in parallel."""
    profile = out / "profile"
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(out), str(workbook)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    return out / (workbook.stem + ".pdf")


def test_r27_the_longest_table_prints_on_a4_landscape_one_page_wide_with_its_header_and_page_numbers(tmp_path):
    rows = [
        [i, "县—乡", f"柳州市融水苗族自治县融水镇第{i}中心小学", "融水县", "融水镇", "王老师", "0772-5123456",
         f"融水县安陲乡第{i}村小学", "融水县", "安陲乡", "大坪村", "李老师", "13800000000", "2016—2020", "=SUM(A1)"]
        for i in range(1, 121)
    ]  # fmt: skip
    sheet = Sheet(
        name="三级中小学结对帮扶安排表",
        columns=[Column(h) for h in HEADERS],
        rows=rows,
        title="柳州市三级中小学结对帮扶安排表",
        unit="融水苗族自治县教育局",
        printable=True,
        stamp=True,
    )
    book = tmp_path / "安排表.xlsx"
    write_workbook(str(book), [sheet])
    pdf = to_pdf(book, tmp_path)
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info)[1])
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert pages >= 2
    assert abs(width - 841.89) < 2 and abs(height - 595.28) < 2  # A4 landscape, in points
    text = {
        page: subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
                             check=True, capture_output=True, text=True).stdout
        for page in (1, 2)
    }  # fmt: skip
    assert "柳州市三级中小学结对帮扶安排表" in text[1] and "融水苗族自治县教育局" in text[1]
    # One page wide: every column is on the first page, the last one included; the header repeats on page 2.
    for page in (1, 2):
        assert "受援学校" in text[page] and "帮扶期限" in text[page] and "备注" in text[page]
    assert f"第2页共{pages}页" in re.sub(r"\s+", "", text[2])
    last = subprocess.run(["pdftotext", "-f", str(pages), "-l", str(pages), str(pdf), "-"],
                          check=True, capture_output=True, text=True).stdout  # fmt: skip
    assert "填报单位（盖章）" in last and "填报日期" in last  # the signature block, on the last page
    assert "=SUM(" in text[1]  # formula-looking text printed as text, not computed
