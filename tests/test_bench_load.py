"""The concurrent-users measure (bench/measure_load.py): its statistics on fixed latencies, and every URL of its
mix answering 200 for the role that clicks it, on the test data, so that the bench's mix cannot rot."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session

from accounts.models import Profile
from bench import measure_load
from bench.measure_load import MIX, WEIGHTS, figures, highest_rate, percentile, summarize
from tests.accounts.conftest import land  # noqa: F401
from tests.activities.conftest import acts  # noqa: F401


def record(latency_ms, status=200, error="", category="home"):
    return {"category": category, "url": "/x/", "latency": latency_ms / 1000, "status": status, "error": error}


def test_percentiles_are_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 0.50) == 50
    assert percentile(values, 0.95) == 95
    assert percentile(values, 0.99) == 99
    assert percentile([7], 0.95) == 7
    assert percentile([], 0.95) is None
    assert percentile([3, 1, 2], 0.5) == 2  # unsorted input


def test_summary_of_a_fixed_run():
    records = [record(ms) for ms in range(1, 99)]
    records.append(record(500, status=500))
    records.append(record(2000, status=0, error="TimeoutError: timed out", category="city_report"))
    figures_ = summarize(records, seconds=10)
    assert figures_["requests"] == 100
    assert figures_["errors"] == 2
    assert figures_["rate"] == 10.0
    assert figures_["p50_ms"] == 50.0
    assert figures_["p95_ms"] == 95.0
    assert figures_["p99_ms"] == 500.0
    assert figures_["max_ms"] == 2000.0
    assert figures_["statuses"] == {"200": 98, "500": 1, "0": 1}
    assert figures_["by_category"]["city_report"] == {
        "requests": 1,
        "share": 0.01,
        "p50_ms": 2000.0,
        "p95_ms": 2000.0,
        "max_ms": 2000.0,
    }
    assert [e["status"] for e in figures_["error_samples"]] == [500, 0]


def test_a_redirect_counts_as_an_error():
    assert summarize([record(10, status=302)], seconds=1)["errors"] == 1


def test_highest_rate_held_and_the_row():
    steps = [
        {"name": "ramp", "users": 1, "rate": 5.0, "p95_ms": 120.0, "errors": 0},
        {"name": "ramp", "users": 4, "rate": 14.0, "p95_ms": 480.0, "errors": 0},
        {"name": "ramp", "users": 6, "rate": 16.0, "p95_ms": 450.0, "errors": 1},  # an error: not held
        {"name": "ramp", "users": 8, "rate": 15.0, "p95_ms": 900.0, "errors": 0},
    ]
    assert highest_rate(steps)["users"] == 4
    assert highest_rate(steps[3:]) is None
    main = summarize([record(ms) for ms in range(100, 400)], seconds=30) | {
        "name": "main",
        "users": 20,
        "seconds": 30,
        "cpu_seconds": {"server": 15.0, "database": 3.0, "client": 1.5},
    }
    for step in steps:
        step |= {
            "requests": 50,
            "p50_ms": 1.0,
            "seconds": 10,
            "cpu_seconds": {"server": 10.0, "database": 1.0, "client": 1.0},
        }
    row = figures([main, *steps], users=20, seconds=30)
    assert row["ok"] is False  # p95 384 ms
    assert row["p95_ms"] == 384.0
    assert row["rate"] == 10.0
    assert row["cpu"]["server_cpu_pct"] == 50.0
    assert row["cpu"]["server_cpu_ms_per_request"] == 50.0  # 15 s over 300 requests
    assert row["ramp"][0]["server_cpu_ms_per_request"] == 200.0
    assert row["max_rate_p95_500"] == 14.0
    assert "14.0 req/s (4 users" in row["summary"]
    fast = summarize([record(ms) for ms in range(100, 200)], seconds=30) | {
        k: main[k] for k in ("name", "users", "seconds", "cpu_seconds")
    }
    assert figures([fast], users=20, seconds=30)["ok"] is True


def test_the_roles_weights_give_the_issues_mix():
    specs = {"city": 4, "county": 8, "school": 8}
    total = sum(specs.values())
    for category, share in MIX.items():
        assert sum(n * WEIGHTS[role][category] for role, n in specs.items()) / total == share


@pytest.fixture
def acts_with_activity(request):
    acts_ = request.getfixturevalue("acts")
    acts_.activity()
    return acts_


@pytest.mark.django_db
def test_every_url_of_the_mix_answers_200_for_its_role(acts_with_activity, client):
    accounts = measure_load.create_bench_users(10)
    roles = [measure_load.role_of(a["user"]) for a in accounts]
    assert roles.count("city") == 2 and roles.count("county") == 4 and roles.count("school") == 4
    assert {a["user"].profile.role for a in accounts} >= {"city", "region", "county", "school"}
    seen = set()
    for account in accounts:
        user = account["user"]
        urls = measure_load.mix_urls(user)
        role = measure_load.role_of(user)
        for category, weight in WEIGHTS[role].items():
            if weight:
                assert urls[category], (user.username, role, category)
        client.force_login(user)
        for category, category_urls in urls.items():
            for url in category_urls:
                response = client.get(url)
                assert response.status_code == 200, (user.profile.role, category, url, response.status_code)
                seen.add(category)
        client.logout()
    assert seen == set(MIX)
    keys = list(Session.objects.values_list("session_key", flat=True))
    measure_load.remove_bench_users(keys)
    assert not get_user_model().objects.filter(username__startswith=measure_load.USERNAME_PREFIX).exists()
    assert not Profile.history.filter(id__in=[a["user"].profile.pk for a in accounts]).exists()
    assert not Session.objects.filter(session_key__in=keys).exists()
