"""Uploaded documents are served only to users who may see the record they belong to."""

import mimetypes
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.db import models
from django.http import FileResponse, Http404, HttpRequest
from simple_history.exceptions import NotHistoricalModelError
from simple_history.utils import get_history_model_for_model

from .uploads import protected_uploads


def _holds(model: type[models.Model], field: str, path: str, user: Any) -> bool:
    """Return whether a record of `model` that `user` may see holds `path` in `field`, now or in an earlier
    version kept in its history (a replaced scan stays downloadable from the history page)."""
    visible = model._default_manager.for_user(user)
    if visible.filter(**{field: path}).exists():
        return True
    try:
        history = get_history_model_for_model(model)
    except NotHistoricalModelError:
        return False
    # A historical row keeps the record's primary key in a column of the same name.
    pk = model._meta.pk.attname
    return history._default_manager.filter(**{field: path, f"{pk}__in": visible.values("pk")}).exists()


def _shown_name(model: type[models.Model], field: str, path: str) -> str:
    """Return the name a file is saved under from the browser: the name it was uploaded with, where its record
    keeps one (an attachment, an evidence file), else its stored name."""
    stored = path.rsplit("/", 1)[-1]
    if not any(f.name == "original_name" for f in model._meta.get_fields()):
        return stored
    name = model._default_manager.filter(**{field: path}).values_list("original_name", flat=True).first() or ""
    # The stored name's extension is the one the content was judged to be.
    suffix = "." + stored.rsplit(".", 1)[-1] if "." in stored else ""
    name = name.replace("/", "_").replace("\\", "_").strip()
    if not name:
        return stored
    return name if not suffix or name.lower().endswith(suffix.lower()) else name + suffix


@login_required
def protected_media(request: HttpRequest, path: str) -> FileResponse:
    """Serve an uploaded file when the user may see a record that holds it, or held it in an earlier version
    (`for_user`); otherwise 404, as if missing.

    The fields searched are those the apps registered with `register_protected_upload`.
    """
    for model, field in protected_uploads():
        if _holds(model, field, path, request.user):
            if not default_storage.exists(path):
                break
            content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
            response = FileResponse(
                default_storage.open(path, "rb"), content_type=content_type, filename=_shown_name(model, field, path)
            )
            response["X-Content-Type-Options"] = "nosniff"
            return response
    raise Http404
