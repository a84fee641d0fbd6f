"""Background work of the files app (django.tasks; enqueued after the upload commits)."""

from __future__ import annotations

import logging

from django.tasks import task

from reproduce.files.models import Blob, ThumbnailState
from reproduce.files.thumbnails import ensure_thumbnail

logger = logging.getLogger(__name__)


@task()
def make_thumbnail(blob_id: int) -> str:
    """Render the thumbnail of one blob; returns the resulting ``thumbnail_state``.

    Never raises: a file that cannot be rendered is still a valid file, so a failure is
    recorded as ``failed`` (and logged) instead of being retried forever.
    """
    try:
        blob = Blob.objects.filter(pk=blob_id).first()
        if blob is None:  # deleted before the worker got to it
            return "missing"
        ensure_thumbnail(blob)
        return str(blob.thumbnail_state)
    except Exception:
        logger.exception("thumbnail task for blob %s failed", blob_id)
        return str(ThumbnailState.FAILED)
