"""Writes of the accompaniment programme, one module per part of its life:

``calls`` (write and publish calls), ``applications`` (apply, submit, withdraw, my data),
``review`` (reviewers, conflicts, scores), ``interviews`` (slots and bookings), ``decisions``
(selection and messages), ``cohorts`` (participants, convention, de minimis, sessions,
attendance, grants), ``events`` (public events and registrations), ``indicators`` (FEDER
figures and workbook), ``retention`` (erasing personal data at the end of a call's period).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError


class ProgrammeError(ValidationError):
    """A refused change, with a stable ``code`` the API maps to a status."""

    def __init__(self, message: str, code: str, field: str | None = None) -> None:
        super().__init__(message, code=code)
        self.code = code
        self.field = field  # the form field it concerns, when there is one
