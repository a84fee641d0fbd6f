"""The accompaniment programme: calls, applications, review, cohorts, grants, events.

* A :class:`Call` is written in French, Dutch and English by a programme officer and
  published; makers apply (:class:`Application`) with their documents and a ranking of three
  host fablabs, save drafts, submit before the deadline, withdraw.
* Reviewers are assigned applications (:class:`ReviewAssignment`), declare conflicts of
  interest (:class:`Conflict`: then they neither see nor score it) and score on the call's
  weighted grid (:class:`Score`). Officers book interview slots (:class:`InterviewSlot`) and
  decide.
* Selected applicants become :class:`Participant` of the call's :class:`Cohort`: convention and
  de minimis declaration (:class:`DeMinimisDeclaration`, :class:`DeclaredAid`) signed on the
  platform, sessions with attendance, grants (:class:`Grant`) with receipts and payment status,
  employment follow-ups for the FEDER indicators.
* Public :class:`Event` (Maker Faire, Meet the Maker) with registrations.

Who sees what: programme officers everything; an applicant their own applications; a reviewer
the applications assigned to them and not in conflict; anyone the published calls and events.
Personal data are erased at the end of the call's retention period (``anonymised_at``).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from reproduce.core.permissions import NetworkRoleName
from reproduce.core.tenancy import ProgrammeModel

if TYPE_CHECKING:
    from reproduce.core.actor import Actor


def is_officer(actor: Actor) -> bool:
    return actor.has_network_role(NetworkRoleName.PROGRAMME_OFFICER)


class TranslatedText:
    """``obj.text("title")`` → the field in the active language, else French, else English."""

    def text(self, name: str) -> str:
        lang = (get_language() or "fr")[:2]
        for code in (lang, "fr", "en", "nl"):
            value = getattr(self, f"{name}_{code}", "")
            if value:
                return str(value)
        return ""


# ---------------------------------------------------------------- calls


class CallState(models.TextChoices):
    DRAFT = "draft", _("Draft")  # the officer writes it; nobody else sees it
    PUBLISHED = "published", _("Open for applications")  # public; applications until deadline
    CLOSED = "closed", _("Closed: in review")  # deadline passed; reviewing and interviews
    DECIDED = "decided", _("Decided")  # decisions sent; the cohort runs
    ARCHIVED = "archived", _("Archived")  # retention over: personal data erased


class Call(TranslatedText, ProgrammeModel):
    """A public call for applications to one accompaniment cycle."""

    slug = models.SlugField(_("short name in addresses"), max_length=80, unique=True)
    title_fr = models.CharField(_("title (French)"), max_length=200)
    title_nl = models.CharField(_("title (Dutch)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    theme_fr = models.CharField(_("theme (French)"), max_length=200, blank=True)
    theme_nl = models.CharField(_("theme (Dutch)"), max_length=200, blank=True)
    theme_en = models.CharField(_("theme (English)"), max_length=200, blank=True)
    description_fr = models.TextField(_("description (French)"))
    description_nl = models.TextField(_("description (Dutch)"))
    description_en = models.TextField(_("description (English)"))
    opens_on = models.DateField(_("launch"))
    deadline = models.DateTimeField(_("deadline for applications"))
    interviews_from = models.DateField(_("interviews from"), null=True, blank=True)
    interviews_to = models.DateField(_("interviews until"), null=True, blank=True)
    announcement_on = models.DateField(_("announcement"), null=True, blank=True)
    starts_on = models.DateField(_("accompaniment starts"))
    ends_on = models.DateField(_("accompaniment ends"))
    places = models.PositiveIntegerField(_("places"), validators=[MinValueValidator(1)])
    host_fablabs = models.ManyToManyField(
        "accounts.Organization", related_name="hosted_calls", verbose_name=_("host fablabs")
    )
    # [{"key": "fit", "label_fr": …, "label_nl": …, "label_en": …, "points": 40}, …]
    criteria = models.JSONField(_("scoring grid"), default=list)
    # [{"key": "product", "label_fr": …, "label_nl": …, "label_en": …, "required": true,
    #   "max_length": 2000}, …]
    questions = models.JSONField(_("form questions"), default=list, blank=True)
    # [{"kind": "cv", "required": true}, {"kind": "motivation", …}, {"kind": "portfolio", …}]
    documents = models.JSONField(_("documents asked"), default=list, blank=True)
    retention_months = models.PositiveIntegerField(
        _("keep personal data (months after the accompaniment ends)"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    state = models.CharField(
        _("status"), max_length=10, choices=CallState.choices, default=CallState.DRAFT
    )
    is_demo = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(_("personal data erased"), null=True, blank=True)

    class Meta:
        ordering = ["-opens_on", "pk"]
        verbose_name = _("call for applications")
        verbose_name_plural = _("calls for applications")

    def __str__(self) -> str:
        return self.text("title")

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        if is_officer(actor):
            return Q()
        return ~Q(state=CallState.DRAFT)


# ---------------------------------------------------------------- applications


class ApplicationState(models.TextChoices):
    DRAFT = "draft", _("Draft")  # saved, not sent
    SUBMITTED = "submitted", _("Submitted")  # sent before the deadline
    WITHDRAWN = "withdrawn", _("Withdrawn")  # by the applicant
    INTERVIEW = "interview", _("Invited to an interview")
    ACCEPTED = "accepted", _("Selected")
    WAITLISTED = "waitlisted", _("On the waiting list")
    REFUSED = "refused", _("Not selected")


DECIDED_STATES = (ApplicationState.ACCEPTED, ApplicationState.WAITLISTED, ApplicationState.REFUSED)


class Application(ProgrammeModel):
    """One maker's application to a call (personal data: see the module docstring)."""

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="applications")
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="applications",
    )
    state = models.CharField(
        _("status"),
        max_length=10,
        choices=ApplicationState.choices,
        default=ApplicationState.DRAFT,
    )
    language = models.CharField(_("language"), max_length=2, default="fr")
    # The person
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    # The enterprise (optional for future entrepreneurs)
    is_future_entrepreneur = models.BooleanField(
        _("I do not have an enterprise yet"), default=False
    )
    enterprise_name = models.CharField(_("enterprise name"), max_length=200, blank=True)
    enterprise_number = models.CharField(
        _("enterprise number (KBO/BCE)"), max_length=12, blank=True
    )
    legal_form = models.CharField(_("legal form"), max_length=60, blank=True)
    enterprise_created_on = models.DateField(_("enterprise created on"), null=True, blank=True)
    fte = models.DecimalField(
        _("jobs today (full-time equivalents)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    # The project
    contribution = models.TextField(_("what you can bring to the group"), blank=True)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    consent_at = models.DateTimeField(_("consent to the processing of personal data"), null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_sent_at = models.DateTimeField(_("decision sent"), null=True, blank=True)
    officer_note = models.TextField(_("note of the programme team"), blank=True)
    decision_message = models.TextField(_("personal message with the decision"), blank=True)
    anonymised_at = models.DateTimeField(_("personal data erased"), null=True, blank=True)

    class Meta:
        ordering = ["call", "reference"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            # One application per person and call (a withdrawn one can be reopened).
            models.UniqueConstraint(
                fields=["call", "applicant"],
                name="application_once_per_call",
                condition=Q(applicant__isnull=False),
                violation_error_message=_("You already have an application to this call."),
            )
        ]
        indexes = [models.Index(fields=["call", "state"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        """Officers all; the applicant their own; a reviewer the applications assigned to
        them that are submitted and not in conflict."""
        if is_officer(actor):
            return Q()
        if actor.user_id is None:
            return Q(pk__in=[])
        mine = Q(applicant_id=actor.user_id)
        if not actor.has_network_role(NetworkRoleName.REVIEWER):
            return mine
        assigned = ReviewAssignment.objects.unscoped("existence test").filter(
            application=OuterRef("pk"), reviewer_id=actor.user_id
        )
        conflicted = Conflict.objects.unscoped("existence test").filter(
            application=OuterRef("pk"), reviewer_id=actor.user_id
        )
        reviewable = (
            Q(Exists(assigned))
            & ~Q(Exists(conflicted))
            & ~Q(state__in=[ApplicationState.DRAFT, ApplicationState.WITHDRAWN])
        )
        return mine | reviewable


class ApplicationChoice(ProgrammeModel):
    """A host fablab chosen by the applicant, ranked 1 to 3."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="choices")
    fablab = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    rank = models.PositiveSmallIntegerField(
        _("rank"), validators=[MinValueValidator(1), MaxValueValidator(3)]
    )

    class Meta:
        ordering = ["application", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "rank"],
                name="choice_rank_once",
                violation_error_message=_("Each rank can be given once."),
            ),
            models.UniqueConstraint(
                fields=["application", "fablab"],
                name="choice_fablab_once",
                violation_error_message=_("Choose three different fablabs."),
            ),
        ]

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        return Q(application__in=Application.objects.visible_to(actor).values("pk"))


class DocumentKind(models.TextChoices):
    CV = "cv", _("CV or biography")
    MOTIVATION = "motivation", _("Motivation letter")
    PORTFOLIO = "portfolio", _("Portfolio")
    OTHER = "other", _("Other useful document")


class ApplicationDocument(ProgrammeModel):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("document"), max_length=12, choices=DocumentKind.choices)
    blob = models.ForeignKey("files.Blob", on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(_("file name"), max_length=200)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application", "kind", "pk"]

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        return Q(application__in=Application.objects.visible_to(actor).values("pk"))


# ---------------------------------------------------------------- review


class ReviewAssignment(ProgrammeModel):
    """A reviewer asked to score an application."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="assignments"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_assignments"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    assigned_at = models.DateTimeField(auto_now_add=True)
    comment = models.TextField(_("overall comment"), blank=True)
    submitted_at = models.DateTimeField(_("scores sent"), null=True, blank=True)

    class Meta:
        ordering = ["application", "reviewer"]
        constraints = [
            models.UniqueConstraint(fields=["application", "reviewer"], name="assignment_once")
        ]

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        if is_officer(actor):
            return Q()
        return Q(reviewer_id=actor.user_id) if actor.user_id else Q(pk__in=[])


class Conflict(ProgrammeModel):
    """A reviewer's declared conflict of interest: no access to that application."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=300)
    declared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "reviewer"], name="conflict_once")
        ]

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        if is_officer(actor):
            return Q()
        return Q(reviewer_id=actor.user_id) if actor.user_id else Q(pk__in=[])


class Score(ProgrammeModel):
    """Points given by one reviewer on one criterion of the grid."""

    assignment = models.ForeignKey(
        ReviewAssignment, on_delete=models.CASCADE, related_name="scores"
    )
    criterion = models.CharField(_("criterion"), max_length=40)
    points = models.DecimalField(
        _("points"), max_digits=5, decimal_places=1, validators=[MinValueValidator(Decimal(0))]
    )
    comment = models.TextField(_("comment"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["assignment", "criterion"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "criterion"], name="score_once"),
            models.CheckConstraint(condition=Q(points__gte=0), name="score_not_negative"),
        ]

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        return Q(assignment__in=ReviewAssignment.objects.visible_to(actor).values("pk"))


class InterviewSlot(ProgrammeModel):
    """An online interview slot offered to the shortlisted applicants of a call."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="interview_slots")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    meeting_url = models.URLField(_("video meeting link"), blank=True)
    application = models.OneToOneField(
        Application,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interview",
    )
    booked_at = models.DateTimeField(null=True, blank=True)
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)  # iCal address

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="slot_ends_after_start"
            )
        ]

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        if is_officer(actor):
            return Q()
        if actor.user_id is None:
            return Q(pk__in=[])
        # An applicant invited to an interview sees the call's free slots and their own.
        invited = Application.objects.unscoped("existence test").filter(
            call=OuterRef("call"), applicant_id=actor.user_id, state=ApplicationState.INTERVIEW
        )
        return Q(application__applicant_id=actor.user_id) | (
            Q(application__isnull=True) & Q(Exists(invited))
        )


# ---------------------------------------------------------------- cohorts


class Cohort(ProgrammeModel):
    call = models.OneToOneField(Call, on_delete=models.PROTECT, related_name="cohort")
    name = models.CharField(_("name"), max_length=150)
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("cohort")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        if is_officer(actor):
            return Q()
        if actor.user_id is None:
            return Q(pk__in=[])
        return Q(participants__application__applicant_id=actor.user_id)


class ParticipantState(models.TextChoices):
    ACTIVE = "active", _("Taking part")
    COMPLETED = "completed", _("Completed the accompaniment")
    LEFT = "left", _("Left the cohort")


class Participant(ProgrammeModel):
    """A selected applicant taking part in a cohort."""

    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="participants")
    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="participant"
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="programme_participations",
        verbose_name=_("enterprise on the platform"),
    )
    host_fablab = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="hosted_participants",
        verbose_name=_("host fablab"),
    )
    state = models.CharField(
        _("status"),
        max_length=10,
        choices=ParticipantState.choices,
        default=ParticipantState.ACTIVE,
    )
    # Counted once per enterprise for RCO01/RCO04 (the enterprise number when there is one).
    enterprise_key = models.CharField(max_length=40)
    is_new_enterprise = models.BooleanField(
        _("new enterprise"),
        default=False,
        help_text=_("Created during or after the accompaniment started (RCO05)."),
    )
    baseline_fte = models.DecimalField(
        _("jobs at the start (FTE)"), max_digits=6, decimal_places=2, default=Decimal(0)
    )
    convention_signed_at = models.DateTimeField(_("group convention signed"), null=True)
    convention_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["cohort", "application__last_name"]
        verbose_name = _("participant")

    def __str__(self) -> str:
        return self.application.full_name or self.application.reference

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        if is_officer(actor):
            return Q()
        if actor.user_id is None:
            return Q(pk__in=[])
        return Q(application__applicant_id=actor.user_id)


class EmploymentRecord(ProgrammeModel):
    """Jobs of a participant's enterprise at a date (the baseline is on the participant)."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="employment"
    )
    on = models.DateField(_("date"))
    fte = models.DecimalField(
        _("jobs (FTE)"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["participant", "on"]

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        return Q(participant__in=Participant.objects.visible_to(actor).values("pk"))


class DeMinimisDeclaration(ProgrammeModel):
    """The participant's sworn statement of de minimis aid received (EU 2023/2831)."""

    participant = models.OneToOneField(
        Participant, on_delete=models.CASCADE, related_name="de_minimis"
    )
    signed_at = models.DateTimeField(_("signed"))
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    statement = models.TextField(_("statement signed"))

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        return Q(participant__in=Participant.objects.visible_to(actor).values("pk"))


class DeclaredAid(ProgrammeModel):
    """A de minimis aid the enterprise received elsewhere (declared, with its date)."""

    declaration = models.ForeignKey(
        DeMinimisDeclaration, on_delete=models.CASCADE, related_name="aids"
    )
    granted_on = models.DateField(_("granted on"))
    grantor = models.CharField(_("granted by"), max_length=200)
    amount = models.DecimalField(
        _("amount (EUR)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    description = models.CharField(_("what for"), max_length=300, blank=True)

    class Meta:
        ordering = ["granted_on"]

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        return Q(declaration__in=DeMinimisDeclaration.objects.visible_to(actor).values("pk"))


class SessionPhase(models.TextChoices):
    BOOTCAMP = "bootcamp", _("Bootcamp")  # S1
    IDEATION = "ideation", _("Ideation and thematic workshops")  # S2–5
    PROTOTYPING = "prototyping", _("Development and prototyping")  # S6–11
    COMMERCIALISATION = "commercialisation", _("Commercialisation")  # S12–20
    PRODUCTION = "production", _("Production")  # S21–26
    WRAP_UP = "wrap_up", _("Wrap-up and lessons learnt")  # S27–32


# The snapshot's indicative plan: session numbers per phase.
PHASE_OF_SESSION = {
    **dict.fromkeys(range(1, 2), SessionPhase.BOOTCAMP),
    **dict.fromkeys(range(2, 6), SessionPhase.IDEATION),
    **dict.fromkeys(range(6, 12), SessionPhase.PROTOTYPING),
    **dict.fromkeys(range(12, 21), SessionPhase.COMMERCIALISATION),
    **dict.fromkeys(range(21, 27), SessionPhase.PRODUCTION),
    **dict.fromkeys(range(27, 33), SessionPhase.WRAP_UP),
}


class Session(ProgrammeModel):
    """One session (S1 … S32) of a cohort's plan: a workshop, a session d'apprentissage."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="sessions")
    number = models.PositiveSmallIntegerField(
        _("session"), validators=[MinValueValidator(1), MaxValueValidator(32)]
    )
    phase = models.CharField(_("phase"), max_length=20, choices=SessionPhase.choices)
    starts_at = models.DateTimeField(_("starts"))
    title = models.CharField(_("title"), max_length=200)
    place = models.ForeignKey(
        "network.Site", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["cohort", "number"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "number"], name="session_number_once")
        ]

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        return Q(cohort__in=Cohort.objects.visible_to(actor).values("pk"))


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Present")
    EXCUSED = "excused", _("Excused")
    ABSENT = "absent", _("Absent")


class Attendance(ProgrammeModel):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendance")
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="attendance"
    )
    status = models.CharField(_("attendance"), max_length=8, choices=AttendanceStatus.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "participant"], name="attendance_once")
        ]

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        return Q(participant__in=Participant.objects.visible_to(actor).values("pk"))


class GrantKind(models.TextChoices):
    BASE = "base", _("Participation grant")  # €1,000
    MATERIALS = "materials", _("Materials (on receipts)")  # up to €500


class GrantState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    PAID = "paid", _("Paid")
    REFUSED = "refused", _("Refused")


class Grant(ProgrammeModel):
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="grants")
    kind = models.CharField(_("grant"), max_length=10, choices=GrantKind.choices)
    amount = models.DecimalField(
        _("amount (EUR)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    state = models.CharField(
        _("status"), max_length=10, choices=GrantState.choices, default=GrantState.REQUESTED
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=60, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["participant", "kind", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="grant_positive"),
        ]

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        return Q(participant__in=Participant.objects.visible_to(actor).values("pk"))


class GrantReceipt(ProgrammeModel):
    """A receipt for materials, uploaded by the participant."""

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="receipts")
    blob = models.ForeignKey("files.Blob", on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(_("file name"), max_length=200)
    amount = models.DecimalField(
        _("amount (EUR)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    supplier = models.CharField(_("supplier"), max_length=200, blank=True)
    dated = models.DateField(_("date of the receipt"))
    uploaded_at = models.DateTimeField(auto_now_add=True)

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        return Q(grant__in=Grant.objects.visible_to(actor).values("pk"))


# ---------------------------------------------------------------- events


class EventKind(models.TextChoices):
    MAKER_FAIRE = "maker_faire", _("Maker Faire")
    MEET_THE_MAKER = "meet_the_maker", _("Meet the Maker")
    OTHER = "other", _("Other event")


class Event(TranslatedText, ProgrammeModel):
    slug = models.SlugField(_("short name in addresses"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    title_fr = models.CharField(_("title (French)"), max_length=200)
    title_nl = models.CharField(_("title (Dutch)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_nl = models.TextField(_("description (Dutch)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=200)
    capacity = models.PositiveIntegerField(_("places"), null=True, blank=True)
    is_published = models.BooleanField(_("published"), default=False)
    cohort = models.ForeignKey(
        Cohort, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="event_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.text("title")

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        if is_officer(actor):
            return Q()
        return Q(is_published=True)


class Registration(ProgrammeModel):
    """A public registration to an event (anyone, no account needed)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("e-mail"))
    organization_name = models.CharField(_("organisation"), max_length=200, blank=True)
    language = models.CharField(max_length=2, default="fr")
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)  # to cancel
    registered_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    attended = models.BooleanField(_("attended"), null=True)

    class Meta:
        ordering = ["event", "registered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "email"],
                name="registration_once",
                violation_error_message=_("This e-mail address is already registered."),
            )
        ]

    @classmethod
    def visibility_q(cls, actor: Actor) -> Q:
        if is_officer(actor):
            return Q()
        return Q(pk__in=[])
