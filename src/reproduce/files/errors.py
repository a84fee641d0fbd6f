"""Why an uploaded file was refused: one exception with a stable code.

It lives in its own module because detection, archives and services all raise it; callers
import it from ``reproduce.files.services``. It is a ``ValidationError``, so a form shows it
next to the file field and the API answers with its stable code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import formats

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MB = 1024 * 1024


class Codes:
    """Stable codes of ``FileRejected`` (published in the API: never rename one)."""

    EMPTY = "empty_file"
    TOO_LARGE = "file_too_large"
    IMAGE_TOO_LARGE = "image_too_large"
    TYPE_MISMATCH = "type_mismatch"
    UNSUPPORTED = "unsupported_type"
    NOT_ALLOWED = "type_not_allowed"
    ARCHIVE_UNSAFE = "archive_unsafe"
    HTML = "html_refused"
    UNSAFE_CONTENT = "unsafe_content"
    CORRUPT = "corrupt"


class FileRejected(ValidationError):
    """An upload that will not be stored; ``code`` says why, the message says what to do."""

    def __init__(
        self, message: StrOrPromise, *, code: str, params: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message, code=code, params=params)

    def __str__(self) -> str:
        # ValidationError prints a list repr; a refusal has exactly one message.
        return str(self.messages[0])


def megabytes(limit: int) -> str:
    """A byte limit as a localised number of MB ("100", "0,5") for messages."""
    value = limit / MB
    return formats.number_format(round(value) if value >= 10 else max(round(value, 2), 0.01))
