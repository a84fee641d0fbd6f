"""Refusing oversized uploads before they are read.

Django reads a multipart body into temporary files as soon as a view touches
``request.POST``/``request.FILES``; a 2 GB request would fill the disk before ``ingest`` can
refuse it. ``UploadLimitMiddleware`` answers 413 from the declared ``Content-Length`` without
reading the body; ``LimitedUploadHandler`` counts the bytes that really arrive, for bodies
whose length was not declared or is not what was declared.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from reproduce.files.errors import Codes, megabytes

MB = 1024 * 1024
REFUSED_ATTRIBUTE = "files_upload_refused"


def request_limit() -> int:
    """Largest accepted request: one file at the limit plus 1 MB for the form's other fields."""
    return int(settings.FILES_MAX_BYTES) + MB


def upload_was_refused(request: HttpRequest) -> bool:
    """True when ``LimitedUploadHandler`` cut this request's upload short.

    Django then hands the view the fields received so far without the file, so a view that
    expects a file should check this and show ``too_large_message()``.
    """
    return bool(getattr(request, REFUSED_ATTRIBUTE, False))


def too_large_message() -> str:
    return _("The file is too large: the limit is %(limit)s MB.") % {
        "limit": megabytes(settings.FILES_MAX_BYTES)
    }


class UploadLimitMiddleware:
    """Answer 413 to a request declaring a body larger than ``request_limit()``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _declared_length(request) > request_limit():
            return too_large_response(request)
        return self.get_response(request)


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # Django reads an unparsable length as no body at all


def too_large_response(request: HttpRequest) -> HttpResponse:
    message = too_large_message()
    if request.path_info.startswith("/api/"):
        body = {"code": Codes.TOO_LARGE, "message": message, "details": {}}
        return HttpResponse(json.dumps(body), status=413, content_type="application/json")
    page = format_html(
        '<!doctype html><html lang="{}"><meta charset="utf-8"><title>{}</title><p>{}</p></html>',
        get_language() or settings.LANGUAGE_CODE,
        _("File too large"),
        message,
    )
    return HttpResponse(page, status=413, content_type="text/html; charset=utf-8")


class LimitedUploadHandler(FileUploadHandler):
    """Stop reading a multipart upload once its files pass ``request_limit()`` bytes.

    Put first in ``FILE_UPLOAD_HANDLERS``: each chunk passes here before the memory or
    temporary-file handler stores it.
    """

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.received = 0

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],
        content_length: int,
        boundary: Any,
        encoding: str | None = None,
    ) -> tuple[QueryDict, MultiValueDict[str, Any]] | None:
        if content_length > request_limit():
            # Raising here would be a server error; an empty result leaves the body unread.
            self._mark_refused()
            return QueryDict(encoding=encoding), MultiValueDict()
        return None

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > request_limit():
            self._mark_refused()
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler builds the file

    def _mark_refused(self) -> None:
        if self.request is not None:
            setattr(self.request, REFUSED_ATTRIBUTE, True)
