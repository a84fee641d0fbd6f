"""Demonstration data of the accompaniment programme: Cohort 1 as it happened, Cohort 2 open.

* **Cohort 1** — the snapshot's first call, "Développer un produit à base de textile recyclé":
  launched 16 June 2025, deadline 14 August, interviews 20–30 August, announcement
  1 September, accompaniment 29 September 2025 – 29 May 2026, hosted by GreenFabric,
  MicroFactory and Cityfab 1, 2, 3; 6 places; the default grid. Fourteen fictional Brussels
  makers apply (textile designers, upcyclers, a paper maker, future entrepreneurs without an
  enterprise number); two reviewers score them (one declares a conflict of interest); ten
  are interviewed; 6 selected, 3 on the waiting list, 5 not selected. The six take part in
  the 32 sessions (attendance recorded), sign the convention and the de minimis declaration,
  receive their grants (and materials on receipts), and their jobs are followed up.
* **Events** — the Maker Faire Brussels 2026 (public registrations, attendance) and an
  upcoming Meet the Maker.
* **Cohort 2** — published and open now, so the public list of calls and ``GET
  /api/v1/calls`` show an open call; the demo applicant candidate@maker.demo has a draft.

Everything is written through the programme's services, so the records, the audit trail and
the FEDER indicators are what the platform would have produced. Cohort 1 lies in the past and
the services rightly refuse past deadlines and slots: its steps run on a clock set to the day
they happened (:func:`_clock`). E-mails the services would send (confirmations, decisions)
are not sent: the applicants are fictional. Loaded once: the Cohort 1 call's slug is the
marker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from io import BytesIO
from typing import Any

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone, translation

from reproduce.accounts.models import NetworkRole, Organization, User
from reproduce.core.actor import Actor, actor_for_user
from reproduce.programme.models import (
    Application,
    ApplicationState,
    AttendanceStatus,
    Call,
    Cohort,
    Event,
    EventKind,
    GrantKind,
    InterviewSlot,
    Participant,
    ParticipantState,
    Session,
)

COHORT_1_SLUG = "cohorte-1-textile-recycle"
COHORT_2_SLUG = "cohorte-2-papier-cellulose"
MARKER = COHORT_1_SLUG
OFFICER = "officer@citydev.demo"
REVIEWER = "reviewer@reproduce.demo"
SECOND_REVIEWER = "jury@reproduce.demo"
CANDIDATE = "candidate@maker.demo"
NO_MAIL = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
HOSTS_1 = ["greenfabric", "microfactory", "cityfab-1", "cityfab-2", "cityfab-3"]
HOSTS_2 = ["greenfabric", "cityfab-2", "cityfab-3", "microfactory"]


# ---------------------------------------------------------------- the people


@dataclass(frozen=True)
class Maker:
    first: str
    last: str
    email: str
    lang: str
    postcode: str
    enterprise: str  # "" for a future entrepreneur
    legal_form: str
    created: date | None
    fte: str
    choices: tuple[str, str, str]
    product: str
    contribution: str
    scores: tuple[int, int | None]  # totals of the two reviewers (None: conflict)
    outcome: str  # accepted, waitlisted, refused
    interview: bool


MAKERS = [
    Maker(
        "Léa", "Dumont", "lea@linetfil.demo", "fr", "1000", "Atelier Lin & Fil", "SRL",
        date(2021, 3, 1), "1", ("greenfabric", "cityfab-1", "microfactory"),
        "Une collection de sacs tissés à partir de chutes de lin recyclé.",
        "Dix ans de tissage à la main et un carnet de fournisseurs de lin belge.",
        (90, 86), "accepted", True,
    ),
    Maker(
        "Pieter", "Janssens", "pieter@papierkanaal.demo", "nl", "1080", "Papier aan het Kanaal",
        "BV", date(2019, 6, 12), "2", ("greenfabric", "cityfab-2", "cityfab-1"),
        "Handgeschept papier uit katoen- en linnenresten, voor notitieboeken.",
        "Ervaring met de Hollander beater en het schepraam; ik deel graag mijn recepten.",
        (88, 84), "accepted", True,
    ),
    Maker(
        "Sofia", "Martins", "sofia.martins@maker-mail.demo", "fr", "1060", "", "", None, "",
        ("microfactory", "greenfabric", "cityfab-3"),
        "Des tabliers d'atelier cousus dans des jeans usagés triés par Les Petits Riens.",
        "La couture industrielle (six ans en atelier) et l'envie de créer ma marque.",
        (82, 85), "accepted", True,
    ),
    Maker(
        "Karim", "Benslimane", "karim@reweave.demo", "fr", "1030", "Reweave", "SRL",
        date(2023, 2, 20), "1.5", ("cityfab-1", "greenfabric", "microfactory"),
        "Des vêtements de travail réparés et transformés en housses de coussins.",
        "Un réseau de garages et de chantiers qui jettent leurs tenues de travail.",
        (84, 80), "accepted", True,
    ),
    Maker(
        "Anouk", "De Smet", "anouk@studiovlas.demo", "nl", "1050", "Studio Vlas",
        "eenmanszaak", date(2022, 9, 5), "0.5", ("cityfab-2", "cityfab-1", "greenfabric"),
        "Akoestische wandpanelen uit gevilte linnenvezels.",
        "Textielontwerp en lasersnijden; ik documenteer alles open source.",
        (80, 83), "accepted", True,
    ),
    Maker(
        "Thomas", "Lefèvre", "thomas.lefevre@maker-mail.demo", "fr", "1190", "", "", None, "",
        ("greenfabric", "microfactory", "cityfab-1"),
        "Des panneaux isolants en cellulose de papier et de coton recyclés.",
        "Ingénieur en reconversion : essais de matériaux et tableaux de mesures.",
        (79, 76), "accepted", True,
    ),
    Maker(
        "Inès", "Haddad", "ines@couturecirculaire.demo", "fr", "1070",
        "Haddad Couture Circulaire", "ASBL", date(2020, 1, 15), "0.8",
        ("microfactory", "cityfab-3", "greenfabric"),
        "Des ateliers de retouche qui transforment les invendus en pièces uniques.",
        "L'animation de groupes et un atelier de couture partagé à Anderlecht.",
        (74, 70), "waitlisted", True,
    ),
    Maker(
        "Jan", "Willems", "jan@viltenco.demo", "nl", "1070", "Vilt & Co", "BV",
        date(2018, 4, 3), "1", ("greenfabric", "cityfab-2", "microfactory"),
        "Vilten opbergmanden uit gerecycleerde wol en katoen.",
        "Twintig jaar vilten en een kleine productielijn.",
        (73, None), "waitlisted", True,
    ),
    Maker(
        "Camille", "Rousseau", "camille.rousseau@maker-mail.demo", "fr", "1040", "", "",
        None, "", ("cityfab-1", "microfactory", "greenfabric"),
        "Des sacs à dos en voiles de bateau et bâches publicitaires.",
        "Le design produit et le prototypage rapide.",
        (78, 55), "waitlisted", True,
    ),
    Maker(
        "Mehdi", "Aït Ouali", "mehdi@fabtex.demo", "fr", "1080", "FabTex Brussels", "SRL",
        date(2018, 11, 8), "3", ("cityfab-3", "cityfab-1", "microfactory"),
        "Des uniformes scolaires en polyester recyclé.",
        "Une unité de confection et des clients dans l'enseignement.",
        (60, 58), "refused", True,
    ),
    Maker(
        "Eva", "Claes", "eva@kleuratelier.demo", "nl", "1210", "Kleuratelier", "eenmanszaak",
        date(2021, 5, 17), "0.5", ("greenfabric", "cityfab-2", "cityfab-3"),
        "Natuurlijke verfstoffen voor hergebruikt linnen.",
        "Kennis van plantaardige kleurstoffen.",
        (62, 64), "refused", False,
    ),
    Maker(
        "Olivier", "Mertens", "olivier@mertensmeubles.demo", "fr", "1180", "Mertens Meubles",
        "SRL", date(2015, 2, 2), "4", ("microfactory", "cityfab-1", "cityfab-2"),
        "Le regarnissage de chaises avec des tissus de seconde main.",
        "Un atelier de tapisserie d'ameublement.",
        (48, 52), "refused", False,
    ),
    Maker(
        "Nadia", "Bouzid", "nadia.bouzid@maker-mail.demo", "fr", "1030", "", "", None, "",
        ("cityfab-2", "greenfabric", "microfactory"),
        "Des emballages de cosmétiques en papier de coton.",
        "Le marketing et la vente en ligne.",
        (55, 50), "refused", False,
    ),
    Maker(
        "Julien", "Lambert", "julien@lambertprint.demo", "fr", "1050", "Lambert Print",
        "SRL", date(2017, 10, 30), "2", ("cityfab-3", "microfactory", "greenfabric"),
        "La sérigraphie sur textiles de récupération.",
        "Une presse de sérigraphie et des clients associatifs.",
        (58, 61), "refused", False,
    ),
]  # fmt: skip

# Jobs of the six participants' enterprises at the end of the cycle and six months later.
FOLLOW_UPS = {
    "lea@linetfil.demo": ("1.5", "2"),
    "pieter@papierkanaal.demo": ("2.5", "2.5"),
    "sofia.martins@maker-mail.demo": ("1", "1"),
    "karim@reweave.demo": ("2", "2.5"),
    "anouk@studiovlas.demo": ("0.5", "1"),
    "thomas.lefevre@maker-mail.demo": ("0.5", "0.8"),
}
DE_MINIMIS = {
    "lea@linetfil.demo": [("2024-03-12", "hub.brussels", "4500", "Prime à la consultance")],
    "pieter@papierkanaal.demo": [("2023-11-20", "Innoviris", "15000", "Projet de R&D")],
    "karim@reweave.demo": [("2025-01-15", "Région de Bruxelles-Capitale", "3000", "Prime")],
}
MATERIALS = {  # receipts for materials: amount, supplier, date
    "lea@linetfil.demo": ("455.00", "Les Petits Riens", date(2026, 1, 20)),
    "pieter@papierkanaal.demo": ("320.40", "Papeterie Lebrun", date(2026, 1, 28)),
    "karim@reweave.demo": ("500.00", "Rotor DC", date(2026, 2, 3)),
    "anouk@studiovlas.demo": ("180.75", "Les Petits Riens", date(2026, 2, 10)),
}


# ---------------------------------------------------------------- helpers


def _at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@contextmanager
def _clock(moment: datetime) -> Iterator[None]:
    """Run the services as on ``moment`` (the clock moves on from there): they stamp records
    and the audit trail with that time and check deadlines against it. Demo loader only — it
    runs before the server starts, in one thread."""
    real: Callable[[], datetime] = timezone.now
    started = real()
    timezone.now = lambda: moment + (real() - started)
    try:
        yield
    finally:
        timezone.now = real


def _pdf(title: str) -> BytesIO:
    """A small, valid one-page PDF (the upload checks read the content)."""
    body = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
        + f"% {title}\n".encode()
        + b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
    return BytesIO(body)


def enterprise_number(seed: int) -> str:
    """A well-formed Belgian enterprise number (0xxx.xxx.xxx, check digits mod 97) for
    fictional enterprises."""
    base = 10_050_000 + seed * 7_919  # eight digits starting "1": recent numbers
    check = 97 - base % 97
    digits = f"{base:08d}{check:02d}"
    return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"


def _points(call: Call, total: int) -> dict[str, Decimal]:
    """Split a total over the grid in proportion to each criterion's points."""
    grid = call.criteria
    out: dict[str, Decimal] = {}
    for criterion in grid[:-1]:
        out[criterion["key"]] = Decimal(round(total * criterion["points"] / 100))
    last = grid[-1]
    out[last["key"]] = min(Decimal(last["points"]), Decimal(total) - sum(out.values()))
    return out


def _user(email: str, first: str, last: str, lang: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email,
            password=None,  # fictional applicants do not sign in
            first_name=first,
            last_name=last,
            preferred_language=lang,
            is_demo=True,
        )
    return user  # type: ignore[no-any-return]


def _reviewer(email: str, first: str, last: str, lang: str) -> User:
    from reproduce.network.demo import DEMO_PASSWORD

    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email,
            password=DEMO_PASSWORD,
            first_name=first,
            last_name=last,
            preferred_language=lang,
            is_demo=True,
        )
    NetworkRole.objects.get_or_create(user=user, role="reviewer")
    return user  # type: ignore[no-any-return]


@dataclass
class DemoProgramme:
    loaded: bool
    call_1: Call | None = None
    call_2: Call | None = None
    cohort: Cohort | None = None
    applications: dict[str, Application] = field(default_factory=dict)  # by e-mail
    participants: dict[str, Participant] = field(default_factory=dict)
    users: list[tuple[str, str]] = field(default_factory=list)  # logins worth printing


# ---------------------------------------------------------------- the calls


COHORT_1_TEXTS = {
    "slug": COHORT_1_SLUG,
    "title_fr": (
        "Programme d'accompagnement collectif ReProduce Brussels #1 : Développer un produit "
        "à base de textile recyclé"
    ),
    "title_nl": (
        "Collectief begeleidingsprogramma ReProduce Brussels #1: een product ontwikkelen "
        "met gerecycleerd textiel"
    ),
    "title_en": (
        "ReProduce Brussels collective accompaniment programme #1: Developing a product "
        "made from recycled textile"
    ),
    "theme_fr": "Textile recyclé d'origine végétale (coton, lin, chanvre)",
    "theme_nl": "Gerecycleerd plantaardig textiel (katoen, linnen, hennep)",
    "theme_en": "Recycled plant-based textile (cotton, flax, hemp)",
    "description_fr": (
        "Huit mois pour expérimenter le recyclage textile (lin, coton), développer un produit "
        "ou un matériau innovant — par exemple de la pâte à papier — et co-construire une offre "
        "collective, distribuée et circulaire avec d'autres makers bruxellois.\n\n"
        "Le programme offre : l'accès à un fablab d'accueil (GreenFabric, MicroFactory, "
        "Cityfab 1, 2 ou 3) avec espace de travail et machines (Hollander beater, "
        "déchiqueteuse textile, découpeuses laser) ; des ateliers pratiques, des sessions "
        "d'apprentissage sur les machines, l'éco-conception et le coaching entrepreneurial ; "
        "1 000 € de soutien et jusqu'à 500 € pour les matériaux ; une présentation à la Maker "
        "Faire."
    ),
    "description_nl": (
        "Acht maanden om textielrecyclage (linnen, katoen) uit te proberen, een innovatief "
        "product of materiaal te ontwikkelen — bijvoorbeeld papierpulp — en samen met andere "
        "Brusselse makers een collectief, gespreid en circulair aanbod op te bouwen.\n\n"
        "Het programma biedt: toegang tot een gastfablab (GreenFabric, MicroFactory, "
        "Cityfab 1, 2 of 3) met werkplek en machines; praktische workshops, leersessies over "
        "de machines, ecodesign en ondernemerscoaching; 1.000 € steun en tot 500 € voor "
        "materialen; een presentatie op de Maker Faire."
    ),
    "description_en": (
        "Eight months to experiment with textile recycling (flax, cotton), develop an "
        "innovative product or material — paper pulp, for instance — and build a collective, "
        "distributed and circular offer with other Brussels makers.\n\n"
        "The programme offers: access to a host fablab (GreenFabric, MicroFactory, "
        "Cityfab 1, 2 or 3) with workspace and machines; hands-on workshops, learning sessions "
        "on the machines, eco-design and business coaching; €1,000 of support and up to €500 "
        "for materials; a presentation at the Maker Faire."
    ),
    "opens_on": date(2025, 6, 16),
    "deadline": _at(date(2025, 8, 14), 23, 59),
    "interviews_from": date(2025, 8, 20),
    "interviews_to": date(2025, 8, 30),
    "announcement_on": date(2025, 9, 1),
    "starts_on": date(2025, 9, 29),
    "ends_on": date(2026, 5, 29),
    "places": 6,
    "retention_months": 24,
}
PRODUCT_QUESTION = {
    "key": "product",
    "label_fr": "Quel produit ou matériau voulez-vous développer ?",
    "label_nl": "Welk product of materiaal wilt u ontwikkelen?",
    "label_en": "Which product or material do you want to develop?",
    "required": True,
    "max_length": 2000,
}


def _hosts(slugs: list[str]) -> list[Organization]:
    found = {o.slug: o for o in Organization.objects.filter(slug__in=slugs)}
    return [found[s] for s in slugs if s in found]


def _new_call(officer: Actor, texts: dict[str, Any], hosts: list[str]) -> Call:
    from reproduce.programme.services import calls

    call = calls.create_call(
        actor=officer, values=texts, host_fablabs=_hosts(hosts), questions=[PRODUCT_QUESTION]
    )
    Call.objects.unscoped("demo flag").filter(pk=call.pk).update(is_demo=True)
    call.is_demo = True
    return calls.publish_call(actor=officer, call=call)


# ---------------------------------------------------------------- Cohort 1, step by step


class CohortOne:
    def __init__(self, officer: User, reviewers: list[User]) -> None:
        self.officer_user = officer
        self.officer = actor_for_user(officer)
        self.reviewers = reviewers
        self.hosts = {o.slug: o for o in _hosts(HOSTS_1)}
        self.users: dict[str, User] = {}
        self.apps: dict[str, Application] = {}
        self.participants: dict[str, Participant] = {}
        self.call: Call

    def run(self) -> None:
        with _clock(_at(date(2025, 6, 10), 9)):
            self.call = _new_call(self.officer, COHORT_1_TEXTS, HOSTS_1)
        for n, maker in enumerate(MAKERS):
            with _clock(_at(date(2025, 7, 1) + timedelta(days=3 * n), 20)):
                self._apply(n, maker)
        with _clock(_at(date(2025, 8, 15), 9)):
            from reproduce.programme.services.calls import close_call

            close_call(actor=self.officer, call=self.call)
            self._assign()
        with _clock(_at(date(2025, 8, 17), 14)):
            self._score()
        with _clock(_at(date(2025, 8, 18), 9)):
            self._interviews()
        with _clock(_at(date(2025, 8, 31), 17)):
            self._decide()
        with _clock(_at(date(2025, 9, 1), 10)):
            from reproduce.programme.services.decisions import send_decisions

            send_decisions(actor=self.officer, call=self.call)
        with _clock(_at(date(2025, 9, 10), 10)):
            self._admit()
        self._cohort_life()

    # -------------------------------------------------------- applying

    def _apply(self, n: int, maker: Maker) -> None:
        from reproduce.programme.services import applications as svc

        user = _user(maker.email, maker.first, maker.last, maker.lang)
        self.users[maker.email] = user
        actor = actor_for_user(user)
        with translation.override(maker.lang):
            app = svc.start_application(actor=actor, call=self.call)
        future = not maker.enterprise
        values: dict[str, Any] = {
            "phone": f"+32 47{n % 10} {12 + n:02d} {34 + n:02d} {56 + n:02d}",
            "postcode": maker.postcode,
            "is_future_entrepreneur": future,
            "enterprise_name": maker.enterprise,
            "enterprise_number": "" if future else enterprise_number(n),
            "legal_form": maker.legal_form,
            "enterprise_created_on": maker.created,
            "fte": maker.fte or None,
            "contribution": maker.contribution,
            "answers": {"product": maker.product},
            "consent": True,
        }
        choices = [self.hosts[s].pk for s in maker.choices]
        app = svc.save_application(actor=actor, application=app, values=values, choices=choices)
        for kind, what in (("cv", "CV"), ("motivation", "Lettre de motivation")):
            svc.add_document(
                actor=actor,
                application=app,
                kind=kind,
                upload=_pdf(f"{what} {maker.first} {maker.last}"),
                filename=f"{kind}-{maker.last.lower().replace(' ', '-')}.pdf",
            )
        self.apps[maker.email] = svc.submit_application(actor=actor, application=app)

    # -------------------------------------------------------- review

    def _assign(self) -> None:
        from reproduce.programme.services import review

        for maker in MAKERS:
            for reviewer in self.reviewers:
                review.assign_reviewer(
                    actor=self.officer, application=self.apps[maker.email], reviewer=reviewer
                )

    def _score(self) -> None:
        from reproduce.programme.models import ReviewAssignment
        from reproduce.programme.services import review

        for maker in MAKERS:
            app = self.apps[maker.email]
            for reviewer, total in zip(self.reviewers, maker.scores, strict=True):
                actor = actor_for_user(reviewer)
                if total is None:
                    review.declare_conflict(
                        actor=actor,
                        application=app,
                        reason="Ancien associé du candidat dans un atelier de feutre.",
                    )
                    continue
                assignment = ReviewAssignment.objects.visible_to(actor).get(application=app)
                review.save_scores(
                    actor=actor,
                    assignment=assignment,
                    points=_points(self.call, total),
                    comments={"fit": _fit_comment(total)},
                    comment=_overall_comment(total),
                    submit=True,
                )

    def _interviews(self) -> None:
        from reproduce.programme.services import interviews

        slots = interviews.create_slots(
            actor=self.officer,
            call=self.call,
            first_day=date(2025, 8, 20),
            last_day=date(2025, 8, 29),
            start=time(10, 0),
            minutes=30,
            count=2,
            meeting_url="https://meet.jit.si/reproduce-cohorte-1-entretiens",
        )
        invited = [m for m in MAKERS if m.interview]
        for maker, slot in zip(invited, slots, strict=False):
            app = interviews.invite_to_interview(
                actor=self.officer, application=self.apps[maker.email]
            )
            slot = InterviewSlot.objects.unscoped("demo: the slot just created").get(pk=slot.pk)
            interviews.book_slot(
                actor=actor_for_user(self.users[maker.email]), slot=slot, application=app
            )

    def _decide(self) -> None:
        from reproduce.programme.services import decisions

        for maker in MAKERS:
            app = Application.objects.unscoped("demo").get(pk=self.apps[maker.email].pk)
            message = (
                "Nous nous réjouissons de vous accueillir au bootcamp du 29 septembre."
                if maker.outcome == "accepted"
                else ""
            )
            self.apps[maker.email] = decisions.decide(
                actor=self.officer,
                application=app,
                decision=ApplicationState(maker.outcome),
                message=message,
            )

    def _admit(self) -> None:
        from reproduce.programme.services import cohorts

        for maker in MAKERS:
            if maker.outcome != "accepted":
                continue
            app = Application.objects.unscoped("demo").get(pk=self.apps[maker.email].pk)
            self.participants[maker.email] = cohorts.admit(
                actor=self.officer, application=app, host_fablab=self.hosts[maker.choices[0]]
            )

    # -------------------------------------------------------- the eight months

    def _cohort_life(self) -> None:
        from reproduce.programme.services import cohorts

        with _clock(_at(date(2025, 9, 29), 17)):
            for email, participant in self.participants.items():
                actor = actor_for_user(self.users[email])
                cohorts.sign_convention(actor=actor, participant=participant)
                aids = [
                    {"granted_on": date.fromisoformat(d), "grantor": g, "amount": a,
                     "description": what}
                    for d, g, a, what in DE_MINIMIS.get(email, [])
                ]  # fmt: skip
                cohorts.declare_de_minimis(
                    actor=actor,
                    participant=participant,
                    aids=aids,
                    statement=(
                        "Je déclare sur l'honneur que les aides de minimis reçues par "
                        "l'entreprise ces trois dernières années sont celles listées ici."
                    ),
                )
        self._attendance()
        self._grants()
        self._employment(date(2026, 5, 29), 0, "Bilan de fin d'accompagnement")
        with _clock(_at(date(2026, 5, 29), 18)):
            for participant in self.participants.values():
                cohorts.set_participant_state(
                    actor=self.officer, participant=participant, state=ParticipantState.COMPLETED
                )
        self._employment(date(2026, 11, 30), 1, "Suivi à six mois")

    def _attendance(self) -> None:
        from reproduce.programme.services import cohorts

        cohort = next(iter(self.participants.values())).cohort
        people = list(self.participants.values())
        for session in Session.objects.unscoped("demo: the plan").filter(cohort=cohort):
            statuses = {}
            for i, participant in enumerate(people):
                status = AttendanceStatus.PRESENT
                if (session.number + 2 * i) % 13 == 0:
                    status = AttendanceStatus.EXCUSED
                elif (session.number * (i + 1)) % 31 == 7:
                    status = AttendanceStatus.ABSENT
                statuses[participant] = status
            with _clock(session.starts_at + timedelta(hours=4)):
                cohorts.record_attendance_sheet(
                    actor=self.officer, session=session, statuses=statuses
                )

    def _grants(self) -> None:
        from reproduce.programme.services import cohorts

        for n, (email, participant) in enumerate(self.participants.items(), start=1):
            actor = actor_for_user(self.users[email])
            with _clock(_at(date(2025, 10, 6), 11)):
                grant = cohorts.request_grant(actor=actor, participant=participant, kind="base")
            with _clock(_at(date(2025, 10, 8), 15)):
                cohorts.approve_grant(actor=self.officer, grant=grant)
            with _clock(_at(date(2025, 10, 15), 10)):
                cohorts.pay_grant(actor=self.officer, grant=grant, reference=f"C1-BASE-{n:02d}")
            if email not in MATERIALS:
                continue
            amount, supplier, dated = MATERIALS[email]
            with _clock(_at(dated + timedelta(days=2), 11)):
                grant = cohorts.request_grant(
                    actor=actor, participant=participant, kind=GrantKind.MATERIALS, amount=amount
                )
                cohorts.add_receipt(
                    actor=actor,
                    grant=grant,
                    upload=_pdf(f"Facture {supplier} {amount}"),
                    filename=f"facture-{dated:%Y%m%d}.pdf",
                    amount=amount,
                    dated=dated,
                    supplier=supplier,
                )
            with _clock(_at(dated + timedelta(days=9), 15)):
                cohorts.approve_grant(actor=self.officer, grant=grant)
            with _clock(_at(dated + timedelta(days=16), 10)):
                cohorts.pay_grant(actor=self.officer, grant=grant, reference=f"C1-MAT-{n:02d}")

    def _employment(self, day: date, index: int, note: str) -> None:
        from reproduce.programme.services import cohorts

        with _clock(_at(day, 16)):
            for email, participant in self.participants.items():
                cohorts.record_employment(
                    actor=self.officer,
                    participant=participant,
                    on=day,
                    fte=FOLLOW_UPS[email][index],
                    note=note,
                )


def _fit_comment(total: int) -> str:
    if total >= 80:
        return "Le projet est au cœur du thème : textile végétal recyclé, produit concret."
    if total >= 65:
        return "En lien avec le thème, mais le produit reste à préciser."
    return "Le lien avec le textile recyclé d'origine végétale est faible."


def _overall_comment(total: int) -> str:
    if total >= 80:
        return "Candidature solide, bon apport au groupe."
    if total >= 65:
        return "Intéressant ; à voir en entretien."
    return "Moins prioritaire pour ce cycle."


# ---------------------------------------------------------------- events


def _events(officer: Actor, cohort: Cohort) -> None:
    from reproduce.programme.services import events

    with _clock(_at(date(2026, 8, 1), 10)):
        faire = events.create_event(
            actor=officer,
            values={
                "kind": EventKind.MAKER_FAIRE,
                "title_fr": "Maker Faire Brussels 2026 : les makers du textile recyclé",
                "title_nl": "Maker Faire Brussels 2026: de makers van gerecycleerd textiel",
                "title_en": "Maker Faire Brussels 2026: the recycled-textile makers",
                "description_fr": "Les participant·es de la cohorte 1 présentent leurs "
                "produits : papier de lin, sacs tissés, panneaux acoustiques.",
                "description_nl": "De deelnemers van cohorte 1 stellen hun producten voor: "
                "linnenpapier, geweven tassen, akoestische panelen.",
                "description_en": "Cohort 1's participants show their products: flax paper, "
                "woven bags, acoustic panels.",
                "starts_at": _at(date(2026, 10, 17), 10),
                "ends_at": _at(date(2026, 10, 18), 18),
                "place": "Tour & Taxis, Avenue du Port 86C, 1000 Bruxelles",
                "capacity": 400,
                "cohort": cohort,
            },
        )
        events.publish_event(actor=officer, event=faire)
    visitors = [
        ("Marie Vandenberghe", "marie.v@visitor.demo", "", "fr"),
        ("Bart Goossens", "bart.goossens@visitor.demo", "Repair Café Etterbeek", "nl"),
        ("Aïcha Diallo", "aicha.diallo@visitor.demo", "", "fr"),
        ("Tom Jacobs", "tom@designstudio.demo", "Studio Jacobs", "nl"),
        ("Claire Dubois", "claire.dubois@visitor.demo", "Lycée Émile Max", "fr"),
        ("Hugo Peeters", "hugo.peeters@visitor.demo", "", "en"),
    ]
    with _clock(_at(date(2026, 9, 20), 19)):
        registrations = [
            events.register(
                event=faire, name=name, email=email, organization_name=org, language=lang
            )
            for name, email, org, lang in visitors
        ]
    with _clock(_at(date(2026, 10, 19), 9)):
        events.mark_attendance(
            actor=officer,
            event=faire,
            attended={r.pk: i != 2 for i, r in enumerate(registrations)},
        )
    meet_day = timezone.localdate() + timedelta(days=47)  # always upcoming when loaded
    meet = events.create_event(
        actor=officer,
        values={
            "kind": EventKind.MEET_THE_MAKER,
            "title_fr": "Meet the Maker : du déchet textile au papier",
            "title_nl": "Meet the Maker: van textielafval tot papier",
            "title_en": "Meet the Maker: from textile waste to paper",
            "description_fr": "Une soirée à GreenFabric avec Pieter Janssens (cohorte 1) : "
            "démonstration du Hollander beater et questions-réponses.",
            "description_nl": "Een avond bij GreenFabric met Pieter Janssens (cohorte 1): "
            "demonstratie van de Hollander beater en vragen.",
            "description_en": "An evening at GreenFabric with Pieter Janssens (cohort 1): "
            "the Hollander beater at work, then questions.",
            "starts_at": _at(meet_day, 18, 30),
            "ends_at": _at(meet_day, 21),
            "place": "GreenFabric, Quai des Charbonnages 30, 1080 Molenbeek-Saint-Jean",
            "capacity": 40,
        },
    )
    events.publish_event(actor=officer, event=meet)
    for name, email, org, lang in visitors[:3]:
        events.register(event=meet, name=name, email=email, organization_name=org, language=lang)
    Event.objects.unscoped("demo flag").filter(pk__in=[faire.pk, meet.pk]).update(is_demo=True)


# ---------------------------------------------------------------- Cohort 2, open now


def _cohort_two_texts(today: date) -> dict[str, Any]:
    """Open since two weeks, deadline in about two months: always open when loaded."""
    starts = today + timedelta(days=100)
    return {
        "slug": COHORT_2_SLUG,
        "title_fr": (
            "Programme d'accompagnement collectif ReProduce Brussels #2 : Papier et cellulose, "
            "du déchet à l'objet"
        ),
        "title_nl": (
            "Collectief begeleidingsprogramma ReProduce Brussels #2: papier en cellulose, van "
            "afval tot object"
        ),
        "title_en": (
            "ReProduce Brussels collective accompaniment programme #2: Paper and cellulose, "
            "from waste to object"
        ),
        "theme_fr": "Papier et cellulose recyclés",
        "theme_nl": "Gerecycleerd papier en cellulose",
        "theme_en": "Recycled paper and cellulose",
        "description_fr": (
            "Huit mois pour transformer des gisements de papier, de carton et de fibres "
            "textiles en objets, emballages ou matériaux, avec l'appui des fablabs du réseau : "
            "ateliers, sessions d'apprentissage sur les machines, coaching entrepreneurial, "
            "1 000 € de soutien et jusqu'à 500 € pour les matériaux."
        ),
        "description_nl": (
            "Acht maanden om papier-, karton- en textielvezelstromen om te zetten in "
            "objecten, verpakkingen of materialen, met de steun van de fablabs van het netwerk: "
            "workshops, leersessies op de machines, ondernemerscoaching, 1.000 € steun en tot "
            "500 € voor materialen."
        ),
        "description_en": (
            "Eight months to turn paper, cardboard and textile fibre streams into objects, "
            "packaging or materials, with the network's fablabs: workshops, learning sessions "
            "on the machines, business coaching, €1,000 of support and up to €500 for "
            "materials."
        ),
        "opens_on": today - timedelta(days=14),
        "deadline": _at(today + timedelta(days=57), 23, 59),
        "interviews_from": today + timedelta(days=64),
        "interviews_to": today + timedelta(days=74),
        "announcement_on": today + timedelta(days=78),
        "starts_on": starts,
        "ends_on": starts + timedelta(days=228),
        "places": 5,
        "retention_months": 24,
    }


def _cohort_two(officer: Actor) -> Call:
    from reproduce.programme.services import applications as svc

    call = _new_call(officer, _cohort_two_texts(timezone.localdate()), HOSTS_2)
    candidate = User.objects.filter(email=CANDIDATE).first()
    if candidate is not None:
        actor = actor_for_user(candidate)
        with translation.override(candidate.preferred_language or "fr"):
            app = svc.start_application(actor=actor, call=call)
        hosts = {o.slug: o.pk for o in _hosts(HOSTS_2)}
        svc.save_application(
            actor=actor,
            application=app,
            values={
                "postcode": "1060",
                "is_future_entrepreneur": True,
                "contribution": "Je récupère le carton des commerces de mon quartier.",
                "answers": {"product": "Des lampes en papier mâché de carton recyclé."},
            },
            choices=[hosts["greenfabric"], hosts["cityfab-2"], hosts["microfactory"]],
        )
    return call


# ---------------------------------------------------------------- loading


def load_demo_programme() -> DemoProgramme:
    """Load the programme's demo once (needs the demo network: fablabs and staff)."""
    existing = Call.objects.unscoped("demo loader: marker").filter(slug=MARKER).first()
    if existing is not None:
        return DemoProgramme(loaded=False, call_1=existing)
    officer = User.objects.filter(email=OFFICER).first()
    reviewer = User.objects.filter(email=REVIEWER).first()
    if officer is None or reviewer is None or len(_hosts(HOSTS_1)) < len(HOSTS_1):
        return DemoProgramme(loaded=False)  # no demo network: nothing to hang it on
    # The services would e-mail confirmations and decisions to the fictional applicants.
    with override_settings(TASKS=NO_MAIL), transaction.atomic():
        second = _reviewer(SECOND_REVIEWER, "Bram", "Peeters", "nl")
        one = CohortOne(officer, [reviewer, second])
        one.run()
        cohort = Cohort.objects.unscoped("demo").get(call=one.call)
        _events(one.officer, cohort)
        call_2 = _cohort_two(one.officer)
    return DemoProgramme(
        loaded=True,
        call_1=one.call,
        call_2=call_2,
        cohort=cohort,
        applications=one.apps,
        participants=one.participants,
        users=[(SECOND_REVIEWER, "reviewer (jury) — declared a conflict of interest")],
    )
