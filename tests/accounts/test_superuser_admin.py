"""A superuser's own account is saved through the user admin: the demo one and one made by createsuperuser."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.choices import Role
from accounts.models import Profile
from tests.helpers import admin_form_data

pytestmark = pytest.mark.django_db


def save_unchanged(client, user, **changes):
    url = reverse("admin:auth_user_change", args=[user.pk])
    data = {**admin_form_data(client.get(url)), **changes}
    return client.post(url, data)


def test_the_demo_superuser_saves_its_own_account_in_the_user_admin(client, django_user_model, settings, tmp_path,
                                                                      monkeypatch):  # fmt: skip
    settings.DEBUG = True
    settings.BASE_DIR = tmp_path
    monkeypatch.setattr("accounts.management.commands.setup_demo.Command.ensure_demo_data", lambda self: None)
    call_command("setup_demo", stdout=io.StringIO())
    admin = django_user_model.objects.get(username="admin")
    client.force_login(admin)

    response = save_unchanged(client, admin, first_name="管理员")
    assert response.status_code == 302, response.context["adminform"].form.errors
    admin.refresh_from_db()
    assert admin.first_name == "管理员" and admin.is_superuser and admin.profile.role == Role.CITY


def test_a_superuser_made_by_createsuperuser_saves_its_account_and_gets_a_role(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.invalid", "x-Strong-Pass-2016")
    assert not Profile.objects.filter(user=root).exists()
    client.force_login(root)
    page = client.get(reverse("admin:auth_user_change", args=[root.pk]))
    assert page.status_code == 200

    role = {"profile-TOTAL_FORMS": 1, "profile-0-role": Role.CITY}
    response = save_unchanged(client, root, first_name="管理员", **role)
    assert response.status_code == 302, response.context["adminform"].form.errors
    root.refresh_from_db()
    assert root.first_name == "管理员" and root.profile.role == Role.CITY
