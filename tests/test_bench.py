"""The bench harness (bench/run.py) on a tiny fake measure module: no region data, and no timing asserted beyond a
project that sleeps against a floor that does not."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench import measure_schools
from bench import run as bench
from bench.measure import Measure

ROOT = Path(__file__).resolve().parent.parent

FAKE_MODULE = """
import time

from django.db import connection

from bench.measure import Measure, Probe


def one_query(prepared):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return [prepared, 2, 3]


def work(prepared):
    return sorted(range(100_000), reverse=True)[:3]


MEASURES = [
    Measure(name="same answer", project=work, floor=work, goal_ratio=100, repeat=2),
    Measure(name="wrong answer", project=lambda prepared: [1, 2, 4], floor=lambda prepared: [1, 2, 3], repeat=1),
    Measure(name="slow | answer", project=lambda prepared: time.sleep(0.3) or 7, floor=lambda prepared: 7,
            goal_ratio=1.5, repeat=1),
    Measure(name="queries counted", setup=lambda: 1, project=one_query, floor=None, max_queries=0, repeat=1,
            extra={"rows": 20000}),
    Measure(name="broken", project=lambda prepared: 1 / 0, floor=lambda prepared: 0, repeat=1),
    Probe(name="users at once", run=lambda: {"ok": True, "summary": "p95 120 ms", "requests": 1200},
          goal="p95 ≤ 300 ms"),
]
"""

README_BEFORE = "# Project\n\nSome text.\n\n## Scale and benchmarks\n\nA paragraph.\n\n"
README_AFTER = "\n\n## Development\n\nMore text | with a bar.\n"


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory):
    """One whole run of the harness's command line on the fake module, its subprocesses on a throwaway SQLite."""
    folder = tmp_path_factory.mktemp("bench")
    (folder / "measure_fake.py").write_text(FAKE_MODULE, encoding="utf-8")
    (folder / "not_a_measure.py").write_text("raise RuntimeError('not discovered')\n", encoding="utf-8")
    readme = folder / "README.md"
    readme.write_text(README_BEFORE + bench.START_MARKER + "\nthe old table\n" + bench.END_MARKER + README_AFTER)
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}"}
    command = [sys.executable, str(ROOT / "bench" / "run.py"), "--skip-build", "--rounds", "1"]
    command += ["--measures", str(folder), "--results", str(folder / "results"), "--readme", str(readme)]
    process = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=environment, timeout=300)
    return process, folder


def table_row(text: str, name: str) -> str:
    rows = [line for line in text.splitlines() if line.startswith(f"| {name} |")]
    assert len(rows) == 1, text
    return rows[0]


def test_a_result_that_differs_from_the_floor_fails_the_run(bench_run):
    process, folder = bench_run
    assert process.returncode == 1, process.stderr
    row = table_row(process.stdout, "wrong answer")
    assert row.endswith("| **FAILED** |")
    assert table_row(process.stdout, "broken").endswith("| — | — | — | — | — | **FAILED** |")
    assert "the result differs from the floor's" in process.stderr
    assert "(3 items against 3; first difference at 2: 4 against 3)" in process.stderr


def test_a_project_equal_to_its_floor_passes(bench_run):
    process, folder = bench_run
    row = table_row(process.stdout, "same answer")
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[4:] == ["≤ 100×", "0", cells[6], "ok"]
    assert re.fullmatch(r"\d+ / \d+", cells[6])  # the peak of each part, in MB
    assert cells[3].endswith("×")


def test_a_ratio_over_its_goal_or_too_many_queries_is_marked_not_ok(bench_run):
    process, folder = bench_run
    slow = table_row(process.stdout, r"slow \| answer")
    assert re.search(r"\| \*\*not ok\*\* \(ratio [\d.]+× over 1.5×\) \|$", slow)
    counted = table_row(process.stdout, "queries counted (rows 20,000)")
    assert "| — | — |" in counted  # no floor, no ratio
    assert "| ≤ 0 queries | 1 |" in counted and counted.endswith("| **not ok** (1 queries over 0) |")


def test_a_probe_shows_its_figures(bench_run):
    process, folder = bench_run
    row = table_row(process.stdout, "users at once")
    assert row.startswith("| users at once | p95 120 ms | — | — | p95 ≤ 300 ms | — |")
    assert row.endswith("| ok |")
    (saved,) = (folder / "results").iterdir()
    assert (
        '## users at once\n\n```json\n{\n  "ok": true,' in saved.read_text()
        and '"requests": 1200' in saved.read_text()
    )


def test_the_results_are_saved_named_by_date_and_commit_and_headed_with_the_machine(bench_run):
    process, folder = bench_run
    commit, _ = bench.git_commit()
    (saved,) = (folder / "results").iterdir()
    assert re.fullmatch(rf"\d{{4}}-\d{{2}}-\d{{2}}-{commit}\.md", saved.name)
    text = saved.read_text(encoding="utf-8")
    day = saved.name[:10]
    assert text.startswith(f"# Bench results, {day}, commit {commit}")
    assert f"- Machine: {os.cpu_count()} cores, " in text and " GB memory, " in text
    assert "- Database: SQLite 3." in text
    assert table_row(text, "wrong answer") == table_row(process.stdout, "wrong answer")
    assert "## Failures\n\n### wrong answer\n" in text
    assert "### broken\n\n```\nthe project stopped (exit 1):\n" in text and "ZeroDivisionError" in text


def test_the_readme_table_is_replaced_between_the_markers_and_nothing_else_changes(bench_run):
    process, folder = bench_run
    text = (folder / "README.md").read_text(encoding="utf-8")
    assert text.startswith(README_BEFORE + bench.START_MARKER + "\nLatest run: ")
    assert text.endswith("\n" + bench.END_MARKER + README_AFTER)
    assert "the old table" not in text
    block = text[len(README_BEFORE) : -len(README_AFTER)]
    assert process.stdout in block  # the same table as printed
    assert "results/" in block


def test_only_runs_the_matching_measures_and_leaves_the_readme_alone(tmp_path):
    (tmp_path / "measure_fake.py").write_text(FAKE_MODULE, encoding="utf-8")
    assert [entry.item.name for entry in bench.discover(tmp_path, "WRONG")] == ["wrong answer"]
    assert len(bench.discover(tmp_path, "measure_fake")) == 6
    readme = tmp_path / "README.md"
    readme.write_text(bench.START_MARKER + "\nkept\n" + bench.END_MARKER + "\n")
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'bench.sqlite3'}"}
    command = [sys.executable, str(ROOT / "bench" / "run.py"), "--skip-build", "--rounds", "1", "--only", "users"]
    command += ["--measures", str(tmp_path), "--results", str(tmp_path / "results"), "--readme", str(readme)]
    process = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=environment, timeout=120)
    assert process.returncode == 0, process.stderr
    assert "users at once" in process.stdout and "same answer" not in process.stdout
    assert "kept" in readme.read_text()
    (saved,) = (tmp_path / "results").iterdir()
    assert saved.name.endswith("-partial.md")


def test_replacing_the_block_needs_both_markers():
    text = "a\n" + bench.START_MARKER + "\nold\n" + bench.END_MARKER + "\nb\n"
    assert bench.replace_block(text, "new\n") == "a\n" + bench.START_MARKER + "\nnew\n" + bench.END_MARKER + "\nb\n"
    with pytest.raises(ValueError):
        bench.replace_block("a\n" + bench.START_MARKER + "\n", "new")


def test_judging_takes_the_best_times_the_last_queries_and_the_largest_peaks():
    measure = Measure(name="m", project=len, floor=len, goal_ratio=1.5, max_queries=10)
    project = [{"seconds": 0.3, "queries": 12, "peak_mb": 90}, {"seconds": 0.2, "queries": 10, "peak_mb": 80}]
    floor = [{"seconds": 0.1, "queries": 1, "peak_mb": 70}, {"seconds": 0.15, "queries": 1, "peak_mb": 75}]
    row = bench.judge(measure, project, floor)
    assert (row.project, row.floor, row.queries, row.project_mb, row.floor_mb) == (0.2, 0.1, 10, 90, 75)
    assert row.ratio == pytest.approx(2.0)
    assert row.status == bench.NOT_OK and row.reasons == ["ratio 2.00× over 1.5×"]
    assert bench.judge(measure, project, [{"seconds": 0.2, "queries": 1, "peak_mb": 70}]).status == bench.OK


def test_every_measure_module_of_the_bench_is_found_and_well_formed():
    entries = bench.discover()
    assert "school list, whole region (city user)" in [entry.item.name for entry in entries]
    for entry in entries:
        assert entry.item.name and callable(entry.item.run if entry.is_probe else entry.item.project), entry.key


@pytest.mark.django_db
def test_the_school_list_measure_gives_its_floors_answer(liuzhou, django_assert_max_num_queries):
    """The demonstration measure on the real areas and named schools (some without a county: the city's own)."""
    for setup, county in [(measure_schools.city_setup, None), (measure_schools.county_setup, True)]:
        user = setup()
        with django_assert_max_num_queries(1):
            project = measure_schools.project(user)
        floor = measure_schools.floor(user.profile.county_id if county else None)
        assert project == floor and project
    assert any(row[5] is None for row in measure_schools.floor(None))


def test_a_part_that_runs_too_long_is_stopped_and_fails(tmp_path):
    (tmp_path / "measure_fake.py").write_text(FAKE_MODULE, encoding="utf-8")
    (entry,) = bench.discover(tmp_path, "slow")
    with pytest.raises(bench.PartFailed, match="the project ran over 0.5 s and was stopped"):
        bench.run_child(entry, "project", tmp_path / "out.pickle", timeout=0.5)
