"""Programme records for the permission matrix (``conftest.build_network``).

The applicant of the "own" records is organisation A's *viewer* (a maker who applied); the
"foreign" records belong to B's viewer (no role of the matrix); the "shared" application is
C's owner's, assigned to the reviewer who declared a conflict of interest on it. Reviewer: the
network reviewer, assigned to A's application. Each application carries a canary in its
personal data: A's may be read by its applicant, the officer and the assigned reviewer; B's and
C's by the officer only.

Built with the ORM on purpose: the services would also create organisations and memberships
(admitting a participant), which would change the roles the rest of the matrix relies on.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import BytesIO
from typing import Any

from django.utils import timezone

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]"
    b"/Count 1>>endobj 3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _call(slug: str, state: str, hosts: list[Any], **dates: Any) -> Any:
    from reproduce.programme.models import Call
    from reproduce.programme.services.calls import DEFAULT_CRITERIA

    today = timezone.localdate()
    values = {
        "opens_on": today - timedelta(days=10),
        "deadline": timezone.now() + timedelta(days=20),
        "starts_on": today + timedelta(days=40),
        "ends_on": today + timedelta(days=280),
        **dates,
    }
    call = Call.objects.create(
        slug=slug,
        title_fr=f"Appel {slug}",
        title_nl=f"Oproep {slug}",
        title_en=f"Call {slug}",
        description_fr="Accompagnement collectif.",
        description_nl="Collectieve begeleiding.",
        description_en="Collective accompaniment.",
        places=5,
        criteria=DEFAULT_CRITERIA,
        documents=[{"kind": "cv", "required": True}],
        state=state,
        **values,
    )
    call.host_fablabs.set(hosts)
    return call


def _application(call: Any, user: Any, ref: str, canary: str, state: str) -> Any:
    from reproduce.files.services import ingest
    from reproduce.programme.models import Application, ApplicationDocument

    application = Application.objects.create(
        reference=ref,
        call=call,
        applicant=user,
        state=state,
        first_name="Maker",
        last_name=f"Applicant {canary}",
        email=user.email,
        contribution="Textile know-how.",
        consent_at=timezone.now(),
        submitted_at=timezone.now(),
    )
    blob = ingest(BytesIO(PDF + ref.encode()), "cv.pdf", allowed_kinds={"pdf"})
    ApplicationDocument.objects.create(
        application=application, kind="cv", blob=blob, filename="cv.pdf"
    )
    return application


def build_programme(a: Any, b: Any, c: Any, officer: Any, reviewer: Any) -> dict[str, Any]:
    from reproduce.accounts.models import NetworkRole, User
    from reproduce.programme import models as m

    hosts = [a.org, c.org]
    open_call = _call("matrix-open", m.CallState.PUBLISHED, hosts)
    draft_call = _call("matrix-draft", m.CallState.DRAFT, hosts)
    past = timezone.localdate() - timedelta(days=200)
    decided = [
        _call(
            f"matrix-decided-{key}",
            m.CallState.DECIDED,
            hosts,
            opens_on=past - timedelta(days=60),
            deadline=timezone.now() - timedelta(days=230),
            starts_on=past,
            ends_on=past + timedelta(days=240),
        )
        for key in ("a", "b")
    ]
    canaries = {"a": "PROG-A-8b1", "b": "PROG-B-3f7", "c": "PROG-C-6d2"}
    own = _application(open_call, a.viewer, "MX-A", canaries["a"], m.ApplicationState.SUBMITTED)
    foreign = _application(open_call, b.viewer, "MX-B", canaries["b"], m.ApplicationState.SUBMITTED)
    conflicted = _application(
        open_call, c.owner, "MX-C", canaries["c"], m.ApplicationState.SUBMITTED
    )
    other_reviewer = User.objects.create_user(email="jury2@network.test", password="pw-Test-1")
    NetworkRole.objects.create(user=other_reviewer, role="reviewer")
    assignments = {
        "own": m.ReviewAssignment.objects.create(application=own, reviewer=reviewer),
        "foreign": m.ReviewAssignment.objects.create(application=foreign, reviewer=other_reviewer),
    }
    m.ReviewAssignment.objects.create(application=conflicted, reviewer=reviewer)
    m.Conflict.objects.create(application=conflicted, reviewer=reviewer, reason="My cousin")
    slots = {}
    for key, application in (("own", own), ("foreign", foreign)):
        starts = timezone.now() + timedelta(days=25, hours=len(slots))
        slots[key] = m.InterviewSlot.objects.create(
            call=open_call,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=30),
            application=application,
            booked_at=timezone.now(),
        )
    cohort_records = {}
    for key, world, call in (("own", a, decided[0]), ("foreign", b, decided[1])):
        ref = f"MX-{key.upper()}-COHORT"
        accepted = _application(
            call, world.viewer, ref, canaries[{"own": "a", "foreign": "b"}[key]], "accepted"
        )
        cohort = m.Cohort.objects.create(
            call=call, name=f"Cohort {key}", starts_on=call.starts_on, ends_on=call.ends_on
        )
        session = m.Session.objects.create(
            cohort=cohort,
            number=1,
            phase=m.SessionPhase.BOOTCAMP,
            starts_at=timezone.now() - timedelta(days=190),
            title="Bootcamp",
        )
        participant = m.Participant.objects.create(
            cohort=cohort,
            application=accepted,
            organization=world.org,
            host_fablab=a.org,
            enterprise_key=f"person:{ref}",
            baseline_fte=Decimal(1),
        )
        grant = m.Grant.objects.create(
            participant=participant, kind=m.GrantKind.MATERIALS, amount=Decimal(200)
        )
        receipt = m.GrantReceipt.objects.create(
            grant=grant,
            blob=accepted.documents.get().blob,
            filename="receipt.pdf",
            amount=Decimal(200),
            dated=timezone.localdate() - timedelta(days=150),
        )
        cohort_records[key] = {
            "cohort": cohort,
            "session": session,
            "participant": participant,
            "grant": grant,
            "receipt": receipt,
        }
    events = {}
    for key, published in (("own", True), ("foreign", False)):
        starts = timezone.now() + timedelta(days=30)
        events[key] = m.Event.objects.create(
            slug=f"matrix-event-{key}",
            kind=m.EventKind.MAKER_FAIRE,
            title_fr="Maker Faire",
            title_nl="Maker Faire",
            title_en="Maker Faire",
            starts_at=starts,
            ends_at=starts + timedelta(hours=6),
            place="Tour & Taxis",
            is_published=published,
        )
    registration = m.Registration.objects.create(
        event=events["own"], name="Visitor", email="visitor@example.org"
    )
    return {
        "canaries": canaries,
        "calls": {"own": open_call, "foreign": draft_call, "shared": open_call},
        "applications": {"own": own, "foreign": foreign, "shared": conflicted},
        "documents": {
            "own": own.documents.get(),
            "foreign": foreign.documents.get(),
            "shared": conflicted.documents.get(),
        },
        "assignments": {**assignments, "shared": assignments["foreign"]},
        "slots": {**slots, "shared": slots["foreign"]},
        "cohorts": cohort_records,
        "events": {**events, "shared": events["own"]},
        "registrations": {"own": registration, "foreign": registration, "shared": registration},
    }
