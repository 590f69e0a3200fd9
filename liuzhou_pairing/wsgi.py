"""WSGI entry point, for gunicorn: `gunicorn liuzhou_pairing.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liuzhou_pairing.settings")

application = get_wsgi_application()
