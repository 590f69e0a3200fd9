"""Every admin page of every registered model renders for the city's superuser, with Liuzhou data loaded."""

import pytest
from django.contrib import admin
from django.urls import reverse

from pairings.liuzhou import liuzhou_arrangements_load

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(client, django_user_model, liuzhou):
    liuzhou_arrangements_load()
    client.force_login(django_user_model.objects.create_superuser("city", "c@example.invalid", "x-Strong-Pass-2016"))
    return client


def test_every_changelist_add_and_change_page_renders(city):
    checked = 0
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        info = prefix
        response = city.get(reverse(f"{prefix}_changelist"))
        assert response.status_code == 200, info
        obj = model_admin.get_queryset(response.wsgi_request).first()
        if obj is not None:
            assert city.get(reverse(f"{prefix}_change", args=[obj.pk])).status_code == 200, info
            if hasattr(model, "history"):
                assert city.get(reverse(f"{prefix}_history", args=[obj.pk])).status_code == 200, info
        if model_admin.has_add_permission(response.wsgi_request):
            assert city.get(reverse(f"{prefix}_add")).status_code == 200, info
        checked += 1
    assert checked >= 10
