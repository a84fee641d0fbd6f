"""Oversized uploads are refused before their body is read."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadhandler import (
    MemoryFileUploadHandler,
    StopUpload,
    TemporaryFileUploadHandler,
)
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.test.client import MULTIPART_CONTENT, encode_multipart

from reproduce.files.uploads import LimitedUploadHandler, UploadLimitMiddleware, upload_was_refused

TWO_GB = str(2 * 1024**3)
MB = 1024 * 1024
HANDLERS = [
    "reproduce.files.uploads.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]


def never_called(request: HttpRequest) -> HttpResponse:
    raise AssertionError("the view must not run")


def test_a_2_gb_request_is_answered_413_without_reading_it(rf: RequestFactory) -> None:
    # Only the header claims 2 GB: the body is empty, so reading it would hang or fail.
    request = rf.post("/en/designs/1/files/", data=b"", content_type="application/octet-stream")
    request.META["CONTENT_LENGTH"] = TWO_GB
    response = UploadLimitMiddleware(never_called)(request)
    assert response.status_code == 413
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "The file is too large: the limit is 100 MB." in response.content.decode()


def test_api_requests_get_the_json_error_body(rf: RequestFactory) -> None:
    request = rf.post("/api/v1/designs/", data=b"", content_type="application/json")
    request.META["CONTENT_LENGTH"] = TWO_GB
    response = UploadLimitMiddleware(never_called)(request)
    assert response.status_code == 413
    assert json.loads(response.content) == {
        "code": "file_too_large",
        "message": "The file is too large: the limit is 100 MB.",
        "details": {},
    }


def test_requests_within_the_limit_pass(rf: RequestFactory, settings: Any) -> None:
    settings.FILES_MAX_BYTES = 10 * MB
    request = rf.post("/api/v1/x", data=b"{}", content_type="application/json")
    request.META["CONTENT_LENGTH"] = str(11 * MB - 1)  # one file at the limit plus form fields
    assert UploadLimitMiddleware(lambda r: HttpResponse("ok"))(request).content == b"ok"
    request.META["CONTENT_LENGTH"] = "not a number"
    assert UploadLimitMiddleware(lambda r: HttpResponse("ok"))(request).content == b"ok"


@pytest.mark.django_db
def test_the_middleware_answers_first_in_the_full_stack(settings: Any) -> None:
    settings.MIDDLEWARE = ["reproduce.files.uploads.UploadLimitMiddleware", *settings.MIDDLEWARE]
    response = Client().post(
        "/api/v1/designs/", data=b"", content_type="application/json", CONTENT_LENGTH=TWO_GB
    )
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"


def _multipart_request(rf: RequestFactory, size: int) -> HttpRequest:
    from django.core.files.uploadedfile import SimpleUploadedFile

    payload = encode_multipart(
        "BoUnDaRy",
        {"title": "Shelf", "file": SimpleUploadedFile("part.stl", b"s" * size)},
    )
    request = rf.post(
        "/en/upload/", data=payload, content_type="multipart/form-data; boundary=BoUnDaRy"
    )
    request.upload_handlers = [
        LimitedUploadHandler(request),
        MemoryFileUploadHandler(request),
        TemporaryFileUploadHandler(request),
    ]
    return request


def test_the_upload_handler_lets_files_within_the_limit_through(
    rf: RequestFactory, settings: Any
) -> None:
    settings.FILES_MAX_BYTES = 64 * 1024
    request = _multipart_request(rf, 50 * 1024)
    assert request.FILES["file"].size == 50 * 1024
    assert request.POST["title"] == "Shelf"
    assert not upload_was_refused(request)


def test_the_upload_handler_refuses_a_declared_oversized_body_unread(
    rf: RequestFactory, settings: Any
) -> None:
    settings.FILES_MAX_BYTES = 64 * 1024
    request = _multipart_request(rf, 2 * MB)  # beyond FILES_MAX_BYTES + 1 MB
    assert "file" not in request.FILES
    assert upload_was_refused(request)


def test_the_upload_handler_counts_bytes_of_bodies_without_a_length(
    rf: RequestFactory, settings: Any
) -> None:
    settings.FILES_MAX_BYTES = 64 * 1024
    request = rf.post("/en/upload/")
    handler = LimitedUploadHandler(request)
    # A chunked body declares no length: the handler lets it start, then counts.
    assert handler.handle_raw_input(None, {}, 0, b"x") is None
    chunk = b"s" * (64 * 1024)
    for start in range(0, MB, len(chunk)):
        assert handler.receive_data_chunk(chunk, start) == chunk
    with pytest.raises(StopUpload) as stopped:
        for start in range(MB, 2 * MB, len(chunk)):
            handler.receive_data_chunk(chunk, start)
    assert stopped.value.connection_reset
    assert upload_was_refused(request)


def test_the_settings_snippet_installs_the_handler(rf: RequestFactory, settings: Any) -> None:
    settings.FILE_UPLOAD_HANDLERS = HANDLERS
    settings.FILES_MAX_BYTES = 64 * 1024
    request = rf.post("/en/upload/", data={"title": "x"}, content_type=MULTIPART_CONTENT)
    assert isinstance(request.upload_handlers[0], LimitedUploadHandler)
    assert request.POST["title"] == "x"
