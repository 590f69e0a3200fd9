"""URL configuration: the admin is the working surface for now; the root sends users there."""

from django.conf import settings
from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from .views import protected_media

admin.site.site_header = _("Liuzhou school pairing assistance")
admin.site.site_title = _("School pairing assistance")
admin.site.index_title = _("Administration")

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
    # Uploaded documents go through a permission check, in development and production alike.
    path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", protected_media, name="protected_media"),
]
