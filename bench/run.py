"""`make bench`: build region-scale data once, run every measure of bench/measure_*.py against its floor, and print,
save and publish the table. The contract with the measure modules is bench/measure.py.

    scripts/with-postgres .venv/bin/python bench/run.py              # what `make bench` runs
    DATABASE_URL=postgres://… .venv/bin/python bench/run.py --skip-build --only coverage

Against the database of DATABASE_URL (PostgreSQL), it migrates, loads Liuzhou and generates the demo data of the
scale (`generate_demo --seed 1 --scale region`), unless the database already holds demo data of that scale or
--skip-build says to use the database as it is. Then, for each measure, it runs the project's callable and the
floor's each in a fresh subprocess (`bench/run.py --one FILE:INDEX --part project|floor`), alternating the two for
--rounds rounds; each subprocess calls its callable `repeat` times and reports its best time, the SQL statements of
the last call and its peak resident size, and writes the normalized result of the last call for `check`. A result
that differs from the floor's, or a measure that fails, marks its row FAILED and makes the run exit with 1; a ratio
or a query count over the measure's goal marks it "not ok" (exit 2 with --strict). Probes run in a subprocess too.

The table goes to stdout, to bench/results/YYYY-MM-DD-<commit>.md with the machine it ran on, and (for a run of
every measure) into README.md between the bench markers.
"""

import argparse
import gc
import hashlib
import importlib
import importlib.util
import json
import math
import os
import pickle
import resource
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
RESULTS_DIR = BENCH_DIR / "results"
README = ROOT / "README.md"
START_MARKER = "<!-- bench:start -->"
END_MARKER = "<!-- bench:end -->"
RESULT_PREFIX = "BENCH-RESULT "

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The bench runs the product as production does (DEBUG off: no query log), over plain HTTP for the test client.
# Variables set in the environment win.
ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "liuzhou_pairing.settings",
    "SECRET_KEY": "bench-only-secret-key",
    "DEBUG": "false",
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "STATIC_MANIFEST": "false",
    "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
}

# Demo schools in a database built at each scale: a count in the range means the data is there.
BUILT_SCHOOLS = {"liuzhou": (1_000, 20_000), "region": (20_000, math.inf)}

# What the results header counts, to name the data size (models missing on a branch are left out).
DATA_MODELS = [
    ("schools", "schools.School"),
    ("pairings", "pairings.Pairing"),
    ("activities", "activities.Activity"),
    ("inspections", "inspections.Inspection"),
]


def configure() -> None:
    for name, value in ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    import django

    django.setup()


# --- Finding the measures --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One Measure or Probe of a module, as the subprocesses find it again: FILE:INDEX."""

    path: Path
    index: int
    item: Any

    @property
    def key(self) -> str:
        return f"{self.path}:{self.index}"

    @property
    def is_probe(self) -> bool:
        # By shape, not class: a module may import the contract as `bench.measure` or as `measure`.
        return not hasattr(self.item, "project")


def load_module(path: str | Path):
    path = Path(path).resolve()
    if path.parent == BENCH_DIR:
        return importlib.import_module(f"bench.{path.stem}")
    name = f"bench_measures_{hashlib.sha1(str(path.parent).encode()).hexdigest()[:8]}_{path.stem}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def discover(directory: Path = BENCH_DIR, only: str | None = None) -> list[Entry]:
    """Every Measure and Probe of `directory`/measure_*.py, in file order, those whose name or module name contains
    `only` (any case) when given."""
    entries = []
    for path in sorted(Path(directory).glob("measure_*.py")):
        module = load_module(path)
        for index, item in enumerate(getattr(module, "MEASURES", [])):
            if only and only.lower() not in f"{path.stem} {item.name}".lower():
                continue
            entries.append(Entry(path.resolve(), index, item))
    return entries


# --- One part in its own process -------------------------------------------------------------------------------


class StatementCounter:
    """Count the SQL statements run, on every database alias (Django's own query log needs DEBUG and keeps 9,000)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def peak_mb() -> float:
    """The peak resident size of this process, in MB. Linux's VmHWM is that of this program alone, whereas
    getrusage's ru_maxrss also counts the parent's resident size at the fork (kept across exec)."""
    kilobytes = read_first("/proc/self/status", "VmHWM")
    if kilobytes:
        return int(kilobytes.split()[0]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def run_part(key: str, part: str, out: str | None) -> dict:
    """Run one part of the measure `key` (FILE:INDEX) in this process and return its figures; write the normalized
    result of the last call to `out` (pickled)."""
    from contextlib import ExitStack

    from django.db import connections

    path, index = key.rsplit(":", 1)
    item = load_module(path).MEASURES[int(index)]
    if part == "probe":
        figures = dict(item.run())
        return {"figures": figures, "peak_mb": peak_mb()}
    call = item.project if part == "project" else item.floor
    best, queries, result = math.inf, 0, None
    for _ in range(max(1, item.repeat)):
        result = None  # the last result is not held while the next call runs
        prepared = item.setup()
        gc.collect()
        counter = StatementCounter()
        try:
            with ExitStack() as stack:
                for alias in connections:
                    stack.enter_context(connections[alias].execute_wrapper(counter))
                started = time.perf_counter()
                result = call(prepared)
                took = time.perf_counter() - started
        finally:
            item.teardown(prepared)
        best, queries = min(best, took), counter.count
    peak = peak_mb()  # before normalizing, which may read a whole workbook back
    data = pickle.dumps(item.normalize(result), protocol=pickle.HIGHEST_PROTOCOL)
    if out:
        Path(out).write_bytes(data)
    return {"seconds": best, "queries": queries, "peak_mb": peak, "digest": hashlib.sha256(data).hexdigest()[:16]}


def child_main(args) -> int:
    try:
        payload = run_part(args.one, args.part, args.out)
    except BaseException:
        traceback.print_exc()
        return 1
    sys.stdout.flush()
    print(RESULT_PREFIX + json.dumps(payload, default=str), flush=True)
    return 0


class PartFailed(Exception):
    pass


# A subprocess running longer than this (seconds) fails its row: a stuck measure does not stop the bench.
PART_TIMEOUT = 30 * 60


def run_child(entry: Entry, part: str, out: Path | None, timeout: float = PART_TIMEOUT) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--one", entry.key, "--part", part]
    if out is not None:
        command += ["--out", str(out)]
    try:
        process = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise PartFailed(f"the {part} ran over {timeout:g} s and was stopped") from exc
    lines = [line for line in process.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if process.returncode or not lines:
        tail = (process.stderr or process.stdout).strip().splitlines()[-12:]
        raise PartFailed(f"the {part} stopped (exit {process.returncode}):\n" + "\n".join(tail))
    return json.loads(lines[-1][len(RESULT_PREFIX) :])


# --- Judging ---------------------------------------------------------------------------------------------------

OK, NOT_OK, FAILED = "ok", "not ok", "FAILED"


@dataclass
class Row:
    name: str
    goal: str = ""
    project: float | None = None
    floor: float | None = None
    queries: int | None = None
    project_mb: float | None = None
    floor_mb: float | None = None
    summary: str = ""  # a probe's figures, in the table
    details: dict | None = None  # all a probe returned, in the results file
    status: str = OK
    reasons: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        if self.project is None or not self.floor:
            return None
        return self.project / self.floor

    def fail(self, reason: str) -> None:
        self.status = FAILED
        self.reasons.append(reason)


def goal_text(measure) -> str:
    parts = []
    if measure.goal_ratio is not None:
        parts.append(f"≤ {measure.goal_ratio:g}×")
    if measure.max_queries is not None:
        parts.append(f"≤ {measure.max_queries} {'query' if measure.max_queries == 1 else 'queries'}")
    return ", ".join(parts)


def row_name(item) -> str:
    extra = getattr(item, "extra", None) or {}
    if not extra:
        return item.name
    return f"{item.name} ({', '.join(f'{key} {fmt_number(value)}' for key, value in extra.items())})"


def judge(measure, project_runs: list[dict], floor_runs: list[dict]) -> Row:
    """The row of a measure whose parts ran (and whose results were checked): best times over the runs, the
    queries of the project's last call, the largest peak of each part, and whether the goals are met."""
    row = Row(name=row_name(measure), goal=goal_text(measure))
    row.project = min(run["seconds"] for run in project_runs)
    row.queries = project_runs[-1]["queries"]
    row.project_mb = max(run["peak_mb"] for run in project_runs)
    if floor_runs:
        row.floor = min(run["seconds"] for run in floor_runs)
        row.floor_mb = max(run["peak_mb"] for run in floor_runs)
    if measure.goal_ratio is not None and row.ratio is not None and row.ratio > measure.goal_ratio:
        row.status = NOT_OK
        row.reasons.append(f"ratio {row.ratio:.2f}× over {measure.goal_ratio:g}×")
    if measure.max_queries is not None and row.queries > measure.max_queries:
        row.status = NOT_OK
        row.reasons.append(f"{row.queries} queries over {measure.max_queries}")
    return row


def check_results(measure, project_file: Path, floor_file: Path) -> str | None:
    """Run the measure's check on the two normalized results; return why they differ, or None."""
    try:
        measure.check(pickle.loads(project_file.read_bytes()), pickle.loads(floor_file.read_bytes()))
    except AssertionError as exc:
        reason = "the result differs from the floor's" + (f": {exc}" if str(exc) else "")
        return reason + difference(pickle.loads(project_file.read_bytes()), pickle.loads(floor_file.read_bytes()))
    except Exception as exc:  # a check that cannot even compare fails the row the same
        return f"the check failed: {exc!r}"
    return None


def difference(project: Any, floor: Any) -> str:
    """Where two sequences differ first, to tell a reader where to look."""
    if not isinstance(project, list | tuple) or not isinstance(floor, list | tuple):
        return ""
    text = f" ({len(project):,} items against {len(floor):,}"
    for index, (mine, theirs) in enumerate(zip(project, floor, strict=False)):
        if mine != theirs:
            return text + f"; first difference at {index}: {mine!r:.200} against {theirs!r:.200})"
    return text + ")"


def run_entry(entry: Entry, rounds: int = 2, log: Callable[[str], None] = lambda text: None) -> Row:
    item = entry.item
    if entry.is_probe:
        row = Row(name=item.name, goal=getattr(item, "goal", ""))
        try:
            payload = run_child(entry, "probe", None)
        except PartFailed as exc:
            row.fail(str(exc))
            return row
        figures = payload["figures"]
        row.project_mb = payload["peak_mb"]
        row.details = figures
        # The probe's summary, or else its plain figures; everything it returned goes to the results file.
        row.summary = str(figures.get("summary") or "") or "; ".join(
            f"{key} {fmt_number(value)}"
            for key, value in figures.items()
            if key not in {"ok", "summary"} and isinstance(value, str | int | float)
        )
        if not figures.get("ok"):
            row.status = NOT_OK  # the probe's summary says why
        return row
    parts = ["project"] if item.floor is None else ["project", "floor"]
    runs: dict[str, list[dict]] = {"project": [], "floor": []}
    mismatch = None
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        try:
            for number in range(rounds):
                # Alternate which part goes first, so that a drift of the machine weighs on both alike.
                for part in parts if number % 2 == 0 else parts[::-1]:
                    log(f"  {part} (round {number + 1} of {rounds})")
                    runs[part].append(run_child(entry, part, Path(folder) / f"{part}-{number}.pickle"))
                if item.floor is not None:
                    mismatch = mismatch or check_results(
                        item, Path(folder) / f"project-{number}.pickle", Path(folder) / f"floor-{number}.pickle"
                    )
        except PartFailed as exc:
            row = Row(name=row_name(item), goal=goal_text(item))
            row.fail(str(exc))
            return row
    row = judge(item, runs["project"], runs["floor"])
    if mismatch:
        row.fail(mismatch)
    return row


# --- The table -------------------------------------------------------------------------------------------------


def fmt_number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int) or value.is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def fmt_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 0.01:
        return f"{seconds * 1000:.2f} ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"


def fmt_mb(row: Row) -> str:
    if row.project_mb is None:
        return "—"
    if row.floor_mb is None:
        return f"{row.project_mb:.0f}"
    return f"{row.project_mb:.0f} / {row.floor_mb:.0f}"


def cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_table(rows: list[Row]) -> str:
    lines = [
        "| measure | project | floor | ratio | goal | queries | peak MB | ok |",
        "|---|---:|---:|---:|---|---:|---:|---|",
    ]
    for row in rows:
        status = row.status if row.status == OK else f"**{row.status}**"
        if row.status == NOT_OK and row.reasons:
            status += f" ({'; '.join(row.reasons)})"
        if row.summary and row.project is None:
            figures = [row.summary, "—", "—"]
        else:
            ratio = f"{row.ratio:.2f}×" if row.ratio is not None else "—"
            figures = [fmt_seconds(row.project), fmt_seconds(row.floor), ratio]
        queries = "—" if row.queries is None else str(row.queries)
        cells = [row.name, *figures, row.goal or "—", queries, fmt_mb(row), status]
        lines.append("| " + " | ".join(cell(text) for text in cells) + " |")
    return "\n".join(lines) + "\n"


def render_details(rows: list[Row]) -> str:
    text = ""
    for row in rows:
        if row.details:
            figures = json.dumps(row.details, ensure_ascii=False, indent=2, default=str)
            text += f"\n## {row.name}\n\n```json\n{figures}\n```\n"
    return text


def render_failures(rows: list[Row]) -> str:
    failed = [row for row in rows if row.status == FAILED]
    if not failed:
        return ""
    text = "\n## Failures\n"
    for row in failed:
        text += f"\n### {row.name}\n\n```\n" + "\n".join(row.reasons) + "\n```\n"
    return text


# --- Where it ran ----------------------------------------------------------------------------------------------


def git_commit(root: Path = ROOT) -> tuple[str, bool]:
    """The short commit of the work tree and whether it has uncommitted changes."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown", False
    return commit, bool(status.strip())


def read_first(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def machine() -> str:
    memory = read_first("/proc/meminfo", "MemTotal")
    memory = f"{int(memory.split()[0]) / 1024 / 1024:.1f} GB memory" if memory else "memory unknown"
    cpu = read_first("/proc/cpuinfo", "model name") or "CPU unknown"
    return f"{os.cpu_count()} cores, {memory}, {cpu}"


def database_version() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            return cursor.fetchone()[0]
    if connection.vendor == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    return connection.vendor


def data_size() -> str:
    from django.apps import apps
    from django.db import DatabaseError, transaction

    counts = []
    for label, model_name in DATA_MODELS:
        try:
            model = apps.get_model(model_name)
            with transaction.atomic():
                counts.append(f"{model._default_manager.count():,} {label}")
        except (LookupError, DatabaseError):
            continue
    return ", ".join(counts) or "unknown"


@dataclass
class Run:
    day: date
    commit: str
    dirty: bool
    machine: str
    database: str
    data: str
    command: str
    rounds: int
    seconds: float = 0.0

    @property
    def stem(self) -> str:
        return f"{self.day.isoformat()}-{self.commit}"


def render_results(run: Run, rows: list[Row]) -> str:
    commit = run.commit + (" (with uncommitted changes)" if run.dirty else "")
    return (
        f"# Bench results, {run.day.isoformat()}, commit {commit}\n\n"
        f"- Machine: {run.machine}\n"
        f"- Database: {run.database}\n"
        f"- Data: {run.data}\n"
        f"- Command: `{run.command}` ({run.seconds / 60:.1f} min)\n"
        f"- Each part in a fresh subprocess, best of the measure's calls, {run.rounds} rounds alternating project "
        "and floor; ratio = project ÷ floor; queries: the project's last call; peak MB: the largest resident size "
        "of the project's / the floor's subprocess.\n\n"
        + render_table(rows)
        + render_failures(rows)
        + render_details(rows)
    )


def save_results(run: Run, rows: list[Row], directory: Path = RESULTS_DIR, partial: bool = False) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{run.stem}{'-partial' if partial else ''}.md"
    path.write_text(render_results(run, rows), encoding="utf-8")
    return path


def replace_block(text: str, block: str) -> str:
    """`text` with what lies between the bench markers replaced by `block`; everything else kept."""
    start = text.find(START_MARKER)
    end = text.find(END_MARKER, start)
    if start < 0 or end < 0:
        raise ValueError(f"the markers {START_MARKER} and {END_MARKER} are missing")
    return text[: start + len(START_MARKER)] + "\n" + block.strip("\n") + "\n" + text[end:]


def update_readme(run: Run, rows: list[Row], results: Path, readme: Path = README) -> None:
    try:
        shown = results.relative_to(readme.parent)
    except ValueError:
        shown = results
    database = " ".join(run.database.split()[:2])  # PostgreSQL 15.18
    intro = textwrap.fill(
        f"Latest run: {run.day.isoformat()}, commit {run.commit}, {run.machine}; {database}; "
        f"{run.data} (details in `{shown}`).",
        width=116,
        break_on_hyphens=False,
    )
    intro += "\n\n"
    readme.write_text(replace_block(readme.read_text(encoding="utf-8"), intro + render_table(rows)), encoding="utf-8")


# --- Building the data -----------------------------------------------------------------------------------------


def built(scale: str) -> bool:
    from django.apps import apps

    low, high = BUILT_SCHOOLS[scale]
    return low <= apps.get_model("schools.School").objects.filter(is_demo=True).count() < high


def build(scale: str, log: Callable[[str], None]) -> None:
    from django.core.management import call_command

    log("Migrating the database…")
    call_command("migrate", interactive=False, verbosity=0)
    if built(scale):
        log(f"The database already holds the {scale}-scale demo data.")
        return
    log("Loading Liuzhou…")
    call_command("load_liuzhou")
    log(f"Generating the {scale}-scale demo data (seed 1)…")
    call_command("generate_demo", seed=1, scale=scale)


# --- The run ---------------------------------------------------------------------------------------------------


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="run only the measures whose name or module name contains this")
    parser.add_argument("--skip-build", action="store_true", help="use the database as it is (no migrate, no data)")
    parser.add_argument("--scale", choices=sorted(BUILT_SCHOOLS), default="region")
    parser.add_argument("--rounds", type=int, default=2, help="subprocesses per part, alternating (default 2)")
    parser.add_argument("--strict", action="store_true", help="exit 2 when a measure misses its goal")
    parser.add_argument("--measures", type=Path, default=BENCH_DIR, help=argparse.SUPPRESS)
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help=argparse.SUPPRESS)
    parser.add_argument("--readme", type=Path, default=README, help=argparse.SUPPRESS)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # FILE:INDEX, run by the harness in a subprocess
    parser.add_argument("--part", choices=["project", "floor", "probe"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    configure()
    if args.one:
        return child_main(args)

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    from django.db import connections
    from django.utils.timezone import localdate

    started = time.monotonic()
    if not args.skip_build:
        build(args.scale, log)
    entries = discover(args.measures, args.only)
    if not entries:
        log("No measure matches." if args.only else f"No measures in {args.measures}/measure_*.py.")
        return 1
    commit, dirty = git_commit()
    run = Run(
        day=localdate(),
        commit=commit,
        dirty=dirty,
        machine=machine(),
        database=database_version(),
        data=data_size(),
        command=" ".join(["bench/run.py", *(argv if argv is not None else sys.argv[1:])]),
        rounds=args.rounds,
    )
    connections.close_all()  # the subprocesses have the database to themselves
    rows = []
    for number, entry in enumerate(entries, 1):
        log(f"[{number}/{len(entries)}] {entry.item.name}")
        rows.append(run_entry(entry, rounds=max(1, args.rounds), log=log))
        for reason in rows[-1].reasons:
            log(f"  {rows[-1].status}: {reason}")
    run.seconds = time.monotonic() - started
    print(render_table(rows), end="")
    results = save_results(run, rows, args.results, partial=bool(args.only))
    log(f"Saved {results}")
    if not args.only:
        update_readme(run, rows, results, args.readme)
        log(f"Updated the table in {args.readme}")
    if any(row.status == FAILED for row in rows):
        return 1
    if args.strict and any(row.status == NOT_OK for row in rows):
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
