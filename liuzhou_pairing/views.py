"""Uploaded documents are served only to users who may see the record they belong to."""

import mimetypes

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest

from .uploads import protected_uploads


@login_required
def protected_media(request: HttpRequest, path: str) -> FileResponse:
    """Serve an uploaded file when the user may see its record (`for_user`); otherwise 404, as if missing.

    The fields searched are those the apps registered with `register_protected_upload`.
    """
    for model, field in protected_uploads():
        if model._default_manager.for_user(request.user).filter(**{field: path}).exists():
            if not default_storage.exists(path):
                break
            content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
            response = FileResponse(default_storage.open(path, "rb"), content_type=content_type)
            response["X-Content-Type-Options"] = "nosniff"
            return response
    raise Http404
