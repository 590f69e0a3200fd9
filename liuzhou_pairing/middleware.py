"""The site's own "page not found" page, also with DEBUG on.

With DEBUG on (`make run`, the demo) Django answers a missing page with its English technical page, listing the
site's URL patterns. Users trying the demo meet the same Chinese page as in production instead; the request is
still logged by the development server.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.defaults import page_not_found


class ChineseNotFoundMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and response.get("Content-Type", "").startswith("text/html")
            and b"<code>DEBUG = True</code>" in getattr(response, "content", b"")  # Django's technical page
        ):
            return page_not_found(request, Http404())
        return response
