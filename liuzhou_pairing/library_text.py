"""What the libraries show a user, in Chinese.

Django, django-simple-history and the other libraries leave a few strings untranslated in Chinese, or hard-code
English. Strings their catalogues lack are marked here, so that `makemessages` keeps them in the project's
catalogue (which takes precedence over the libraries'); hard-coded English is replaced in `LiuzhouPairingConfig.ready`.
"""

from django.conf import settings
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.translation import get_language, gettext, gettext_noop

LIBRARY_STRINGS = [
    # Django admin: the index's table headers for screen readers.
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    # django-simple-history: the history page.
    gettext_noop("Changes"),
    gettext_noop("Object"),
    gettext_noop("Date/time"),
    gettext_noop("Comment"),
    gettext_noop("Changed by"),
    gettext_noop("Change reason"),
]


def boolean_icon(value) -> str:
    """Django's yes / no / unknown icon, with a Chinese text alternative (Django writes alt="True")."""
    # A list shows hundreds of these (a tenth of the rendering of a schools page): the three icons are made once
    # per language and static files setting.
    key = (value, get_language(), settings.STATIC_URL, str(settings.STORAGES.get("staticfiles")))
    if key not in _ICONS:
        icon = {True: "yes", False: "no", None: "unknown"}[value]
        alt = {True: gettext("Yes"), False: gettext("No"), None: gettext("Unknown")}[value]
        _ICONS[key] = format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{icon}.svg"), alt)
    return _ICONS[key]


_ICONS: dict[tuple, str] = {}


def install() -> None:
    """Replace the English that libraries hard-code where a user meets it."""
    from django.contrib.admin.templatetags import admin_list

    admin_list._boolean_icon = boolean_icon
