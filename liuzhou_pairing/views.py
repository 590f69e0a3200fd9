"""Uploaded documents are served only to users who may see the record they belong to."""

import mimetypes

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest

from pairings.models import Agreement, WorkPlan

# (model, file field): every model that stores uploads, with the field that holds them.
PROTECTED_FILES = [(Agreement, "scan"), (WorkPlan, "document")]


@login_required
def protected_media(request: HttpRequest, path: str) -> FileResponse:
    """Serve an uploaded file when the user may see its record (`for_user`); otherwise 404, as if missing."""
    for model, field in PROTECTED_FILES:
        if model.objects.for_user(request.user).filter(**{field: path}).exists():
            if not default_storage.exists(path):
                break
            content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
            response = FileResponse(default_storage.open(path, "rb"), content_type=content_type)
            response["X-Content-Type-Options"] = "nosniff"
            return response
    raise Http404
