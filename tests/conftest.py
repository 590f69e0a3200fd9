import pytest
from django.utils import translation

from schools.services import areas_load, named_schools_load


@pytest.fixture(autouse=True)
def chinese():
    """Run every test in the UI's default language, so that messages are asserted as users read them."""
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def liuzhou(db):
    """Load Liuzhou's real areas and the schools the plan names."""
    report = areas_load()
    named_schools_load(report=report)
    return report


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Keep uploaded files of a test in its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def city_admin(client, django_user_model):
    """A test client logged in as a superuser of the city bureau; `client.user` is the user."""
    user = django_user_model.objects.create_superuser("city", "city@example.invalid", "x-Strong-Pass-2016")
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Hash test passwords cheaply; production keeps Django's default (PBKDF2)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def small_demo_activities(monkeypatch):
    """generate_demo records activities for every 25th demo pairing only: enough for every state it shows, at a
    fraction of the time `make run` takes over all of them."""
    monkeypatch.setattr("activities.demo.SAMPLE", {"liuzhou": 25, "region": 125})
