"""The permission matrix: every role × every model × every action, one assertion per cell.

Each cell is asked of the admin over HTTP, as a user would: allowed means the page is served (200);
refused means it is not (403, or the admin's "does not exist" redirect for an object outside the scope).
"""

import pytest
from django.urls import NoReverseMatch, reverse

pytestmark = pytest.mark.django_db

ROLES = ["city", "county", "school", "inspector", "region"]
ACTIONS = ["list", "view", "add", "change", "delete", "import", "export"]
ALL = set(ROLES)
CITY = {"city"}
WRITERS = {"city", "county"}

# model: (url name, object in the county user's and the school user's scope, {action: roles allowed})
MATRIX = {
    "school": ("schools_school", "own_school", {
        "list": ALL, "view": ALL, "add": WRITERS, "change": WRITERS | {"school"}, "delete": set(),
        "import": WRITERS, "export": ALL,
    }),
    "county": ("schools_county", "own", {
        "list": ALL, "view": ALL, "add": CITY, "change": CITY, "delete": set(), "import": CITY, "export": ALL,
    }),
    "pairing": ("pairings_pairing", "own_pairing", {
        "list": ALL, "view": ALL, "add": WRITERS, "change": WRITERS, "delete": set(), "import": WRITERS,
        "export": ALL,
    }),
    "agreement": ("pairings_agreement", "own_agreement", {
        "list": ALL, "view": ALL, "add": WRITERS, "change": WRITERS | {"school"}, "delete": set(),
        "import": set(), "export": set(),
    }),
    "work plan": ("pairings_workplan", "own_plan", {
        "list": ALL, "view": ALL - {"school"}, "add": set(), "change": WRITERS, "delete": set(), "import": set(),
        "export": set(),
    }),
    "cycle": ("pairings_cycle", "cycle", {
        "list": ALL, "view": ALL, "add": CITY, "change": CITY, "delete": set(), "import": set(), "export": set(),
    }),
    "district pairing": ("pairings_districtpairing", None, {
        "list": ALL, "view": ALL, "add": CITY, "change": CITY, "delete": set(), "import": set(), "export": set(),
    }),
    "user": ("auth_user", None, {
        "list": CITY, "view": CITY, "add": CITY, "change": CITY, "delete": set(), "import": set(), "export": set(),
    }),
}  # fmt: skip

CELLS = [(role, model, action) for model in MATRIX for role in ROLES for action in ACTIONS]


def target(land, model: str):
    name = MATRIX[model][1]
    if model == "district pairing":
        return land.cycle.district_pairings.get()
    if model == "user":
        return land.users["county"]
    return getattr(land, name)


def served(client, land, model: str, action: str) -> bool:
    prefix = f"admin:{MATRIX[model][0]}"
    obj = target(land, model)
    try:
        if action == "list":
            response = client.get(reverse(f"{prefix}_changelist"))
        elif action == "add":
            response = client.get(reverse(f"{prefix}_add"))
        elif action in ("view", "change"):
            response = client.get(reverse(f"{prefix}_change", args=[obj.pk]))
            if action == "change" and response.status_code == 200:
                # Served read-only when only viewing is allowed: the form then has no save button.
                return response.context["has_change_permission"]
        elif action == "delete":
            response = client.get(reverse(f"{prefix}_delete", args=[obj.pk]))
        elif action == "import":
            response = client.get(reverse(f"{prefix}_import"))
        else:
            response = client.get(reverse(f"{prefix}_export"))
    except NoReverseMatch:
        return False  # the admin offers no such page for this model
    assert response.status_code in (200, 302, 403), (model, action, response.status_code)
    return response.status_code == 200


@pytest.mark.parametrize(("role", "model", "action"), CELLS, ids=[f"{r}-{m}-{a}" for r, m, a in CELLS])
def test_permission_matrix(as_user, land, role, model, action):
    client = as_user(role)
    expected = role in MATRIX[model][2][action]
    assert served(client, land, model, action) is expected


def test_matrix_covers_every_role_model_and_action():
    assert len(CELLS) == len(ROLES) * len(MATRIX) * len(ACTIONS) == 280
    assert all(set(spec[2]) == set(ACTIONS) for spec in MATRIX.values())
