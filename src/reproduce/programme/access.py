"""Every access to an application's personal data is written to the audit log."""

from __future__ import annotations

from reproduce.core import audit
from reproduce.core.actor import Actor
from reproduce.programme.models import Application


def record_access(actor: Actor, application: Application, what: str = "view") -> None:
    """Log that ``actor`` opened ``application`` (``what``: view, document, export…)."""
    audit.record(
        actor=actor,
        action=f"application.{what}",
        obj=application,
        changes={"call": application.call_id},
    )
