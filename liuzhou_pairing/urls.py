"""URL configuration: the admin is the working surface, its index each role's home page; the root sends users there.
Report pages (a selector's rows as a page and an xlsx file) live under reports/, one URL module per app."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from .views import protected_media

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("reports/", include("pairings.urls")),
    path("reports/inspections/", include("inspections.urls")),
    # Exemplary cases: read by every signed-in user.
    path("cases/", include("activities.case_urls")),
    # The user's exports made in the background: progress and files.
    path("exports/", include("jobs.urls")),
    # Uploaded documents go through a permission check, in development and production alike.
    path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", protected_media, name="protected_media"),
]
