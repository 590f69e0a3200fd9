"""The concurrent-users measure: real accounts click a mix of pages on gunicorn (3 workers) for a while.

    python bench/measure_load.py [--seconds 60 --users 20] [--step-seconds 15] [--no-ramp]

runs it alone against the database of DATABASE_URL and prints its figures as JSON; `make bench` runs the same
`MEASURES` (a `Probe`). What it does:

1. Creates bench accounts through the accounts service (`user_create`): per 20 users 4 of the city level (the city
   bureau, the region inspector, a city-wide inspector), 8 county bureaus of the largest counties and 8 schools of
   live pairings, spread over the counties. Demo accounts would be refused at login with DEBUG off. They are
   removed at the end, with their sessions, profile history and login records.
2. Starts `gunicorn liuzhou_pairing.wsgi -w 3` on a free port, DEBUG off, a bench SECRET_KEY, static files
   collected and served by whitenoise, DATABASE_URL inherited.
3. Runs the client in a separate process (`--client`, this file without Django): it logs each account in once
   (django-axes counts logins; none is repeated per click), then each user clicks the mix with 1–3 s between
   clicks: 40% home pages, 30% lists with filters or search, 15% a pairing or an activity page, 10% a county's
   semester compliance report, 5% the city-wide one. The per-role weights below give that mix over the 4:8:8
   users (schools do not open reports; the city-level users open most of the city-wide ones).
4. Records each request's latency and status. An error is an exception or any status but 200 (a redirect would
   hide a lost session or a refused filter). Reports p50/p95/p99, requests, errors, rate, and the CPU used by the
   gunicorn master and workers, by the database server's backends of this database, and by the client.
5. Then the ramp: the same mix without think time, 1, 2, 3, 4, 6, 8, 12, 16 users in steps, until p95 exceeds
   500 ms; the highest request rate held with p95 ≤ 500 ms is the second figure.
"""

import argparse
import json
import math
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

try:
    from bench.measure import Probe
except ImportError:  # run as a top-level module with bench/ on the path
    from measure import Probe  # type: ignore[no-redef]

USERNAME_PREFIX = "bench_load_"
GOAL_P95_MS = 300
RAMP_P95_MS = 500
RAMP_USERS = (1, 2, 3, 4, 6, 8, 12, 16)
CATEGORIES = ("home", "list", "detail", "county_report", "city_report")
# The mix over all clicks.
MIX = {"home": 40, "list": 30, "detail": 15, "county_report": 10, "city_report": 5}
# Per role; with 4 city-level, 8 county and 8 school users their weighted sum is MIX (tests check it).
WEIGHTS = {
    "school": {"home": 50, "list": 30, "detail": 20, "county_report": 0, "city_report": 0},
    "county": {"home": 35, "list": 30, "detail": 15, "county_report": 20, "city_report": 0},
    "city": {"home": 30, "list": 30, "detail": 5, "county_report": 10, "city_report": 25},
}
CITY_LEVEL_ROLES = ("city", "region", "inspector", "city")  # the city-level accounts, in turn


# ---------------------------------------------------------------------------------------------------------------
# Statistics (no Django: the client uses them too)


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile of `values` (share 0.95 → p95): the smallest value with at least that share of
    the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def summarize(records: list[dict], seconds: float) -> dict:
    """Figures of a run: `records` are {"category", "url", "latency" (s), "status" (0: no answer), "error"} and
    `seconds` the run's length. An error is an exception or a status other than 200."""
    latencies = [r["latency"] for r in records]
    errors = [r for r in records if r["error"] or r["status"] != 200]
    by_category = {}
    for category in CATEGORIES:
        own = [r["latency"] for r in records if r["category"] == category]
        if own:
            by_category[category] = {
                "requests": len(own),
                "share": round(len(own) / len(records), 3),
                "p50_ms": _ms(percentile(own, 0.50)),
                "p95_ms": _ms(percentile(own, 0.95)),
                "max_ms": _ms(max(own)),
            }
    return {
        "requests": len(records),
        "errors": len(errors),
        "rate": round(len(records) / seconds, 2) if seconds > 0 else 0.0,
        "p50_ms": _ms(percentile(latencies, 0.50)),
        "p95_ms": _ms(percentile(latencies, 0.95)),
        "p99_ms": _ms(percentile(latencies, 0.99)),
        "max_ms": _ms(max(latencies)) if latencies else None,
        "statuses": dict(Counter(str(r["status"]) for r in records)),
        "error_samples": [
            {"url": r["url"], "status": r["status"], "error": r["error"]} for r in errors[:5]
        ],  # what to look at
        "by_category": by_category,
    }


def highest_rate(steps: list[dict], limit_ms: float = RAMP_P95_MS) -> dict | None:
    """The ramp step with the highest request rate among those with p95 ≤ `limit_ms` and no error."""
    held = [s for s in steps if s["p95_ms"] is not None and s["p95_ms"] <= limit_ms and not s["errors"]]
    return max(held, key=lambda s: s["rate"], default=None)


# ---------------------------------------------------------------------------------------------------------------
# CPU use, read from /proc (no psutil)

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user + system CPU seconds) of a process, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def tree_cpu(root: int) -> dict[int, float]:
    """CPU seconds of `root` and its children (gunicorn's master and workers)."""
    cpu = {}
    for pid in _pids():
        stat = _stat(pid)
        if stat is not None and (pid == root or stat[0] == root):
            cpu[pid] = stat[1]
    return cpu


def database_cpu(database: str) -> dict[int, float]:
    """CPU seconds of the PostgreSQL backends serving `database` on this machine (their title names it)."""
    cpu = {}
    if not database:
        return cpu
    for pid in _pids():
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres: ") and f" {database} " in title:
            stat = _stat(pid)
            if stat is not None:
                cpu[pid] = stat[1]
    return cpu


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two samples (a process that started in between counts whole)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


# ---------------------------------------------------------------------------------------------------------------
# The client (a separate process: `measure_load.py --client`, config on stdin, results on stdout)


class Session:
    """One logged-in account: its cookies, and the URLs and weights of its clicks."""

    def __init__(self, host: str, port: int, account: dict):
        self.host, self.port = host, port
        self.account = account
        self.cookies: dict[str, str] = {}

    def request(self, method: str, url: str, body: bytes | None = None, headers: dict | None = None):
        connection = HTTPConnection(self.host, self.port, timeout=120)
        try:
            all_headers = {"Accept-Language": "zh-CN,zh;q=0.9", "Host": f"{self.host}:{self.port}"}
            if self.cookies:
                all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            all_headers.update(headers or {})
            connection.request(method, url, body=body, headers=all_headers)
            response = connection.getresponse()
            data = response.read()
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, response.getheader("Location") or "", data
        finally:
            connection.close()

    def login(self) -> None:
        status, _, page = self.request("GET", "/admin/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or match is None:
            raise RuntimeError(f"login page answered {status}")
        form = {
            "csrfmiddlewaretoken": match.group(1).decode(),
            "username": self.account["username"],
            "password": self.account["password"],
            "next": "/admin/",
        }
        status, location, _ = self.request(
            "POST",
            "/admin/login/",
            body=urlencode(form).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"login of {self.account['username']} answered {status} {location}")

    def logout(self) -> None:
        form = urlencode({"csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": self.cookies.get("csrftoken")}
        self.request("POST", "/admin/logout/", body=form, headers=headers)

    def click(self, rng: random.Random) -> dict:
        weights = self.account["weights"]
        categories = [c for c in CATEGORIES if weights.get(c) and self.account["urls"].get(c)]
        category = rng.choices(categories, weights=[weights[c] for c in categories])[0]
        url = rng.choice(self.account["urls"][category])
        started = time.perf_counter()
        status, error = 0, ""
        try:
            status, _, _ = self.request("GET", url)
        except Exception as exc:  # noqa: BLE001 - every failure is a recorded error
            error = f"{type(exc).__name__}: {exc}"
        return {
            "category": category,
            "url": url,
            "latency": time.perf_counter() - started,
            "status": status,
            "error": error,
            "at": time.time(),
        }


def run_phase(sessions: list[Session], users: int, seconds: float, think: tuple[float, float], seed: int) -> list:
    """`users` users click for `seconds`, user i as account i (mod the accounts), waiting `think` (min, max)
    seconds between clicks; return every request's record (a click started before the end is waited for)."""
    records: list[dict] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def user(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        session = sessions[index % len(sessions)]
        if think[1]:
            time.sleep(rng.uniform(0, think[1]))  # users do not all start on the same second
        while time.monotonic() < deadline:
            record = session.click(rng)
            with lock:
                records.append(record)
            if think[1]:
                time.sleep(min(rng.uniform(*think), max(0.0, deadline - time.monotonic())))

    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return records


def client_main(config: dict) -> dict:
    """Log every account in once, run the phases, log out; return each phase's records and CPU figures."""
    sessions = [Session(config["host"], config["port"], account) for account in config["accounts"]]
    login_errors = []
    threads = []
    for session in sessions:

        def login(session=session):
            try:
                session.login()
            except Exception as exc:  # noqa: BLE001 - reported, and the run fails
                login_errors.append(f"{session.account['username']}: {exc}")

        threads.append(threading.Thread(target=login))
        threads[-1].start()
    for thread in threads:
        thread.join()
    result: dict = {"logins": len(sessions), "login_errors": login_errors, "phases": []}
    if login_errors:
        return result
    for number, phase in enumerate(config["phases"]):
        steps = phase.get("ramp") or [phase["users"]]
        for users in steps:
            server0, db0 = tree_cpu(config["server_pid"]), database_cpu(config["database"])
            client0, wall0 = os.times(), time.monotonic()
            records = run_phase(sessions, users, phase["seconds"], tuple(phase["think"]), seed=number * 100 + users)
            wall = time.monotonic() - wall0
            client1 = os.times()
            figures = summarize(records, wall)
            figures.update(
                name=phase["name"],
                users=users,
                think=phase["think"],
                seconds=round(wall, 1),
                cpu_seconds={
                    "server": round(cpu_used(server0, tree_cpu(config["server_pid"])), 2),
                    "database": round(cpu_used(db0, database_cpu(config["database"])), 2),
                    "client": round((client1.user + client1.system) - (client0.user + client0.system), 2),
                },
            )
            if phase.get("keep_records"):
                figures["records"] = records
            result["phases"].append(figures)
            if phase.get("ramp") and (figures["p95_ms"] is None or figures["p95_ms"] > phase["stop_ms"]):
                break
    for session in sessions:
        try:
            session.logout()
        except Exception:  # noqa: BLE001, S110 - the parent deletes the sessions anyway
            pass
    result["session_keys"] = [s.cookies.get("sessionid") for s in sessions]
    return result


# ---------------------------------------------------------------------------------------------------------------
# The accounts and the mix (Django)


def bench_specs(users: int = 20) -> list[dict]:
    """The accounts of the run: 20% city level, 40% county bureaus of the largest counties, the rest schools of
    live pairings of the current cycle, spread over the counties."""
    from django.db.models import Count

    from pairings.models import Pairing
    from pairings.selectors import current_cycle
    from schools.models import County

    n_city = round(users * 0.2)
    n_county = round(users * 0.4)
    n_school = users - n_city - n_county
    specs = [{"role": CITY_LEVEL_ROLES[i % len(CITY_LEVEL_ROLES)]} for i in range(n_city)]
    counties = list(County.objects.annotate(n=Count("schools")).filter(n__gt=0).order_by("-n", "code"))
    specs += [{"role": "county", "county": counties[i % len(counties)]} for i in range(n_county if counties else 0)]
    cycle = current_cycle()
    live = Pairing.objects.filter(cycle=cycle).live().order_by("pk") if cycle else Pairing.objects.none()
    by_county: dict[int, list[int]] = {}
    for helper, recipient, county in live.values_list("helper_id", "recipient_id", "recipient__county_id")[:5000]:
        for school in (recipient, helper):
            if school not in by_county.setdefault(county, []):
                by_county[county].append(school)
    schools: list[int] = []
    queues = [by_county[c] for c in sorted(by_county, key=lambda c: (c is None, c))]
    while len(schools) < n_school and any(queues):
        for queue in queues:
            if queue and len(schools) < n_school:
                school = queue.pop(0)
                if school not in schools:
                    schools.append(school)
    specs += [{"role": "school", "school_id": school} for school in schools]
    return specs


def create_bench_users(users: int = 20) -> list[dict]:
    """Create the bench accounts through the accounts service; return [{"user", "username", "password"}]."""
    from accounts.services import user_create
    from liuzhou_pairing.actors import SYSTEM
    from schools.models import School

    remove_bench_users()
    accounts = []
    for index, spec in enumerate(bench_specs(users)):
        school = School.objects.get(pk=spec["school_id"]) if "school_id" in spec else None
        user, password = user_create(
            username=f"{USERNAME_PREFIX}{index:02d}",
            role=spec["role"],
            county=spec.get("county"),
            school=school,
            password=secrets.token_urlsafe(18),
            actor=SYSTEM,
        )
        accounts.append({"user": user, "username": user.username, "password": password})
    return accounts


def remove_bench_users(session_keys: list[str] | None = None) -> None:
    """Remove the bench accounts with their profiles' history, their login records and their sessions."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.models import Session as StoredSession

    from accounts.models import Profile

    users = get_user_model().objects.filter(username__startswith=USERNAME_PREFIX)
    names = list(users.values_list("username", flat=True))
    profiles = list(Profile.objects.filter(user__in=users).values_list("pk", flat=True))
    if session_keys:
        StoredSession.objects.filter(session_key__in=[k for k in session_keys if k]).delete()
    for model in (AccessLog, AccessAttempt, AccessFailureLog):
        model.objects.filter(username__in=names).delete()
    users.delete()
    Profile.history.filter(id__in=profiles).delete()  # after: deleting a profile records its deletion


def role_of(user) -> str:
    """The weights a user clicks with: "school", "county" or "city" (city level: everything in sight)."""
    from liuzhou_pairing.scope import scope_of

    scope = scope_of(user)
    if scope.school_id:
        return "school"
    if scope.everything:
        return "city"
    return "county"


def mix_urls(user, *, per_kind: int = 4, seed: int = 1) -> dict[str, list[str]]:
    """The URLs `user` clicks, per category, from what it may see: its home page; the pairings of the current
    cycle filtered by stage, by status or searched by a school's name, the schools searched or filtered by
    county, the current semester's activities; pages of its pairings and activities; the semester compliance
    report of its county (the city level: of a county it chooses) and of the whole city."""
    from activities.models import Activity
    from pairings.models import Pairing
    from pairings.selectors import current_cycle, current_semester
    from schools.models import County

    rng = random.Random(seed)
    role = role_of(user)
    cycle = current_cycle()
    semester = current_semester()
    pairings = Pairing.objects.for_user(user).filter(cycle=cycle).order_by("pk")
    pairing_ids = list(pairings.values_list("pk", flat=True)[:2000])
    picked = rng.sample(pairing_ids, min(per_kind, len(pairing_ids)))
    names = list(Pairing.objects.filter(pk__in=picked).values_list("recipient__name", flat=True))
    activities = Activity.objects.for_user(user).order_by("pk")
    if semester is not None and activities.filter(semester=semester).exists():
        activities = activities.filter(semester=semester)
    activity_ids = list(activities.values_list("pk", flat=True)[:2000])

    base = f"/admin/pairings/pairing/?cycle__id__exact={cycle.pk}" if cycle else "/admin/pairings/pairing/?"
    lists = [
        f"{base}&stage__exact=compulsory",
        f"{base}&status__exact=active",
        *(f"{base}&{urlencode({'q': name})}" for name in names[:2]),
        f"/admin/schools/school/?{urlencode({'q': '小学'})}",
    ]
    if semester is not None:
        lists.append(f"/admin/activities/activity/?semester__id__exact={semester.pk}")
    if role == "city":
        county = County.objects.order_by("code").first()
        if county is not None:
            lists.append(f"/admin/schools/school/?county__id__exact={county.pk}")
    details = [f"/admin/pairings/pairing/{pk}/change/" for pk in picked]
    details += [
        f"/admin/activities/activity/{pk}/change/" for pk in rng.sample(activity_ids, min(per_kind, len(activity_ids)))
    ]
    urls = {"home": ["/admin/"], "list": lists, "detail": details, "county_report": [], "city_report": []}
    if semester is not None and role != "school":
        report = f"/reports/inspections/semester/?semester={semester.token}"
        if role == "county":
            urls["county_report"] = [report]
        else:
            counties = list(County.objects.order_by("code").values_list("pk", flat=True))
            urls["county_report"] = [f"{report}&county={pk}" for pk in rng.sample(counties, min(3, len(counties)))]
            urls["city_report"] = [report]
    return urls


# ---------------------------------------------------------------------------------------------------------------
# The server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SECRET_KEY = "bench-only-secret-key-not-for-any-server-" + "x" * 20


def server_environment(port: int) -> dict[str, str]:
    """The environment of the bench's gunicorn: production settings (DEBUG off, collected static files served by
    whitenoise) over plain HTTP on 127.0.0.1, the database of DATABASE_URL."""
    env = dict(os.environ)
    env.update(
        DEBUG="false",
        SECRET_KEY=SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        SECURE_HSTS_SECONDS="0",
        STATIC_MANIFEST="true",
        LOG_LEVEL="WARNING",
        ENV_FILE=os.devnull,  # not the developer's .env (DEBUG on)
        DJANGO_SETTINGS_MODULE="liuzhou_pairing.settings",
    )
    return env


def start_server(port: int, log) -> subprocess.Popen:
    env = server_environment(port)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=log,
        stderr=log,
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "liuzhou_pairing.wsgi", "-w", "3", "-b", f"127.0.0.1:{port}"]
        + ["--timeout", "120", "--graceful-timeout", "5"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn stopped at its start")
        try:
            connection = HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/admin/login/")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise RuntimeError("gunicorn did not answer within 60 s")


def _tail(path: str, lines: int = 20) -> str:
    return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])


# ---------------------------------------------------------------------------------------------------------------
# The probe


def run(seconds: float = 60, users: int = 20, ramp: bool = True, step_seconds: float = 15, warmup: float = 10):
    """Run the measure against the database of DATABASE_URL; return the row's figures (see the module)."""
    from django.conf import settings
    from django.db import connection

    database = settings.DATABASES["default"]
    database_name = database["NAME"] if "postgresql" in database["ENGINE"] else ""
    accounts = create_bench_users(users)
    config_accounts = []
    for account in accounts:
        weights = WEIGHTS[role_of(account["user"])]
        config_accounts.append(
            {
                "username": account["username"],
                "password": account["password"],
                "urls": mix_urls(account["user"], seed=len(config_accounts)),
                "weights": weights,
            }
        )
    connection.close()  # the server's workers and the client run while this process waits
    port = free_port()
    log = tempfile.NamedTemporaryFile("w+", prefix="bench-load-", suffix=".log", delete=False)
    result: dict = {"ok": False, "summary": "", "users": users, "seconds": seconds}
    server = None
    client_output: dict = {}
    try:
        server = start_server(port, log)
        phases = [{"name": "warm-up", "users": users, "seconds": warmup, "think": [1, 3]}] if warmup else []
        phases.append({"name": "main", "users": users, "seconds": seconds, "think": [1, 3]})
        if ramp:
            phases.append(
                {"name": "ramp", "ramp": list(RAMP_USERS), "seconds": step_seconds, "think": [0, 0]}
                | {"stop_ms": RAMP_P95_MS}
            )
        config = {
            "host": "127.0.0.1",
            "port": port,
            "server_pid": server.pid,
            "database": database_name,
            "accounts": config_accounts,
            "phases": phases,
        }
        client = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--client"],
            input=json.dumps(config),
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        if client.returncode != 0:
            raise RuntimeError(f"the client failed: {client.stderr[-2000:]}")
        client_output = json.loads(client.stdout)
    except Exception as exc:  # noqa: BLE001 - the row says what failed
        result["summary"] = f"failed: {exc}"
        result["server_log"] = _tail(log.name)
        return result
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
        remove_bench_users(client_output.get("session_keys"))
    if client_output["login_errors"]:
        result["summary"] = f"login failed: {client_output['login_errors'][:3]}"
        result["server_log"] = _tail(log.name)
        return result
    return result | figures(client_output["phases"], users=users, seconds=seconds)


def _cpu_share(phase: dict) -> dict:
    """CPU use in a phase as a share of one core (100% = one core busy the whole phase), and the server's and the
    database's CPU time per request: on a machine shared with other work the latencies wait for CPU time, the
    CPU time a request needs does not."""
    cores = os.cpu_count() or 1
    shares = {f"{who}_cpu_pct": round(100 * s / phase["seconds"], 1) for who, s in phase["cpu_seconds"].items()}
    if phase["requests"]:
        for who in ("server", "database"):
            shares[f"{who}_cpu_ms_per_request"] = round(1000 * phase["cpu_seconds"][who] / phase["requests"], 1)
    try:
        shares["load_average"] = round(os.getloadavg()[0], 1)
    except OSError:
        pass
    return shares | {"cores": cores}


def figures(phases: list[dict], *, users: int, seconds: float) -> dict:
    """The row's figures from the client's phases: the main run's, and the ramp's highest rate at p95 ≤ 500 ms."""
    main = next(p for p in phases if p["name"] == "main")
    steps = [p for p in phases if p["name"] == "ramp"]
    best = highest_rate(steps)
    ok = main["errors"] == 0 and main["p95_ms"] is not None and main["p95_ms"] <= GOAL_P95_MS
    summary = (
        f"{users} users, {main['seconds']:.0f} s: p95 {main['p95_ms']} ms (p50 {main['p50_ms']}, "
        f"p99 {main['p99_ms']}), {main['requests']} requests, {main['errors']} errors, {main['rate']} req/s"
    )
    if steps:
        summary += (
            f"; highest rate at p95 ≤ {RAMP_P95_MS} ms: {best['rate']} req/s ({best['users']} users, no think time)"
            if best
            else f"; no ramp step held p95 ≤ {RAMP_P95_MS} ms"
        )
    row = {
        "ok": ok,
        "summary": summary,
        **{key: main[key] for key in ("requests", "errors", "rate", "p50_ms", "p95_ms", "p99_ms", "max_ms")},
        "by_category": main["by_category"],
        "error_samples": main["error_samples"],
        "cpu": _cpu_share(main),
        "max_rate_p95_500": best["rate"] if best else None,
        "ramp": [
            {key: step[key] for key in ("users", "requests", "rate", "p50_ms", "p95_ms", "errors")} | _cpu_share(step)
            for step in steps
        ],
    }
    warm = next((p for p in phases if p["name"] == "warm-up"), None)
    if warm is not None:
        row["warm_up"] = {key: warm[key] for key in ("requests", "errors", "p95_ms")}
    return row


MEASURES = [
    Probe(
        name="20 concurrent users, 60 s (gunicorn 3 workers)",
        run=run,
        goal=f"p95 ≤ {GOAL_P95_MS} ms, 0 errors; highest rate at p95 ≤ {RAMP_P95_MS} ms",
    )
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--step-seconds", type=float, default=15, help="length of each ramp step")
    parser.add_argument("--warmup", type=float, default=10, help="seconds of unrecorded clicks first")
    parser.add_argument("--no-ramp", action="store_true", help="skip the search for the highest rate")
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        print(json.dumps(client_main(json.load(sys.stdin))))
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liuzhou_pairing.settings")
    os.environ.setdefault("SECRET_KEY", SECRET_KEY)
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("STATIC_MANIFEST", "false")
    import django

    django.setup()
    figures_ = run(
        seconds=args.seconds,
        users=args.users,
        ramp=not args.no_ramp,
        step_seconds=args.step_seconds,
        warmup=args.warmup,
    )
    print(json.dumps(figures_, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
