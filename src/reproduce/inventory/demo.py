"""Demo stock, shop-floor work and lot traceability, written through the real services.

Loaded after the network, designs and orders demos (it names their organisations, sites and
the MobiFab bench order). Free texts are French, as the rest of the demo data.

* **Cohort 1 chain** (the programme's snapshot: recycled flax/cotton textile into paper):
  Les Petits Riens receive 12 kg of post-consumer flax/cotton at their sorting centre, sort
  and inspect it, and ship it to GreenFabric (11.8 kg weighed on arrival: a discrepancy);
  Atelier Encre Flagey orders 300 sheets of GreenFabric's paper; the three work orders
  (shredding, Hollander beating, sheet forming) are executed at GreenFabric: shredded fibre →
  pulp batch → 300 sheets with a public passport and a GTIN, packed in a box (aggregation)
  and shipped to Encre Flagey.
* **MobiFab chain**: a reclaimed plywood pool at Cityfab 1 shared with MobiFab and
  MicroFactory (Rotor DC plywood; MicroFactory takes part of it), and the bench order of
  ``orders.demo`` executed from the reclaimed timber to four packed benches waiting at
  Cityfab 1's dock for the Commune de Forest: ten work orders, four sites, transfers between.
* **Shop floor today**: the tote-bag order at Atelier BruCycle: denim inspection started and
  paused, the lining (with its banner fabric reserved) and the rest accepted, not started
  (log in as ``amira@brucycle.demo``).

Loaded once: the Cohort 1 textile lot's code is the marker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from stdnum import ean

from reproduce.accounts.models import Membership, NetworkRole, Organization
from reproduce.core.actor import Actor, actor_for_user
from reproduce.designs import services as designs
from reproduce.designs.models import Design, DesignVersion, Item, VersionState
from reproduce.inventory import selectors
from reproduce.inventory import services as stock
from reproduce.inventory.models import Location, LocationKind, Lot, Origin, StockPool
from reproduce.inventory.services import LotInput, Output
from reproduce.network.demo import system_actor
from reproduce.network.models import Process, Site
from reproduce.orders import services as orders
from reproduce.orders.models import Offer, OfferState, Order, WorkOrder, WorkOrderState
from reproduce.production import services as production

MARKER_LOT = "PR-C1-TEXTILE"
PAPER_DESIGN = "papier-lin-coton-cohorte-1"
SHOP_FLOOR_LOGIN = "amira@brucycle.demo"
# GS1's example company prefix 0614141: a well-formed GTIN-13 that belongs to nobody real.
PAPER_GTIN = "061414100017"
LOCATIONS = [
    ("MAG", "Magasin", LocationKind.STORAGE),
    ("ATELIER", "Atelier (bord de machine)", LocationKind.PRODUCTION),
    ("QUAI", "Quai d'expédition et de réception", LocationKind.SHIPPING),
]
D = Decimal


@dataclass
class DemoTraceability:
    lots: list[str] = field(default_factory=list)
    work_orders_done: int = 0
    transfers: int = 0
    shop_floor_login: str = SHOP_FLOOR_LOGIN
    loaded: bool = False


def load_demo_traceability() -> DemoTraceability:
    """Load the chains once (a second call changes nothing)."""
    if Lot.objects.unscoped("demo loader: marker").filter(code=MARKER_LOT).exists():
        return DemoTraceability()
    with transaction.atomic():
        demo = _Demo()
        demo.cohort_one()
        demo.mobifab()
        demo.shop_floor()
    demo.report.loaded = True
    return demo.report


def _gtin() -> str:
    return PAPER_GTIN + ean.calc_check_digit(PAPER_GTIN)


class _Demo:
    """Lookups (organisations, sites, locations, people) and the steps every chain repeats."""

    def __init__(self) -> None:
        self.report = DemoTraceability()
        self.orgs = {o.slug: o for o in Organization.objects.all()}
        self.locations: dict[tuple[int, str], Location] = {}
        role = NetworkRole.objects.filter(role="coordinator").select_related("user").first()
        self.coordinator = (
            actor_for_user(role.user) if role else Actor(network_roles=frozenset({"coordinator"}))
        )

    # ------------------------------------------------------------ lookups

    def org(self, slug: str) -> Organization:
        try:
            return self.orgs[slug]
        except KeyError:
            raise LookupError(
                f"Organisation {slug!r} is missing: load the network demo first."
            ) from None

    def site(self, slug: str) -> Site:
        return Site.objects.unscoped("demo loader: site by slug").get(slug=slug)

    def person(self, org: Organization) -> Actor:
        """The organisation's operator (else manager) acting, so the records name a person."""
        for role in ("operator", "manager"):
            membership = (
                Membership.objects.unscoped("demo loader")
                .filter(organization=org, role=role, user__is_active=True)
                .select_related("user")
                .order_by("pk")
                .first()
            )
            if membership is not None:
                return actor_for_user(membership.user)
        return system_actor(org)

    def location(self, site: Site, code: str = "MAG") -> Location:
        key = (site.pk, code)
        if key not in self.locations:
            for c, name, kind in LOCATIONS:
                existing = Location.objects.owned_by(site.organization).filter(site=site, code=c)
                self.locations[(site.pk, c)] = existing.first() or stock.create_location(
                    actor=system_actor(site.organization), site=site, code=c, name=name, kind=kind
                )
        return self.locations[key]

    def item(self, org: Organization, name: str, unit: str, **values: Any) -> Item:
        existing = Item.objects.owned_by(org).filter(name=name).first()
        return existing or designs.create_item(
            actor=system_actor(org),
            organization=org,
            values={"kind": "material", "name": name, "default_unit": unit, **values},
        )

    # ------------------------------------------------------------ stock steps

    def receive(self, site: Site, supplier: str, line: LotInput, days_ago: int = 0) -> Lot:
        receipt = stock.receive(
            actor=self.person(site.organization),
            location=self.location(site),
            supplier=supplier,
            lines=[line],
            delivery_note=f"BL-{line.code}",
            received_at=timezone.now() - timedelta(days=days_ago),
        )
        lot = receipt.lots.get()
        self.report.lots.append(lot.code)
        return lot

    def ship(
        self,
        lot: Lot,
        quantity: Decimal,
        to_site: Site,
        *,
        counted: Decimal | None = None,
        discrepancy: str = "",
        carrier: str = "Urbike (vélo-cargo)",
        location: str = "MAG",
    ) -> None:
        """Ship from wherever the lot is; the other site receives it (counting ``counted``)."""
        here = self._where(lot, quantity)
        transfer = stock.ship(
            actor=self.person(here.site.organization),
            from_location=here,
            to_site=to_site,
            lines=[(lot, quantity)],
            carrier=carrier,
        )
        line = transfer.lines.get()
        stock.receive_transfer(
            actor=self.person(to_site.organization),
            transfer=transfer,
            location=self.location(to_site, location),
            received={line.pk: counted if counted is not None else quantity},
            discrepancies={line.pk: discrepancy} if discrepancy else None,
        )
        lot.refresh_from_db()  # the receiving site is its custodian now
        self.report.transfers += 1

    def bring(self, lot: Lot, quantity: Decimal, site: Site, code: str = "ATELIER") -> None:
        """Put ``quantity`` of the lot at ``site``'s location ``code`` (ship, then move)."""
        here = self._where(lot, quantity)
        if here.site_id != site.pk:
            self.ship(lot, quantity, site, location=code)
            return
        target = self.location(site, code)
        if here.pk != target.pk:
            stock.move(
                actor=self.person(site.organization),
                lot=lot,
                from_location=here,
                to_location=target,
                quantity=quantity,
            )

    def _where(self, lot: Lot, quantity: Decimal) -> Location:
        for row in selectors.lot_on_hand(lot):
            if row["quantity"] >= quantity:
                return (
                    Location.objects.unscoped("demo loader")
                    .select_related("site")
                    .get(pk=row["location"])
                )
        raise LookupError(f"Lot {lot.code} has less than {quantity} on hand anywhere.")

    # ------------------------------------------------------------ work orders

    def take(self, work_order: WorkOrder, fallback: Site) -> WorkOrder:
        """The work order accepted by a site: its open offer accepted, else offered by the
        coordinator to ``fallback`` (override) and accepted there."""
        work_order.refresh_from_db()
        if work_order.state == WorkOrderState.ACCEPTED:
            return work_order
        offer = (
            Offer.objects.unscoped("demo loader: open offer of one work order")
            .filter(work_order=work_order, state=OfferState.OPEN, deadline__gt=timezone.now())
            .select_related("site__organization")
            .first()
        )
        if offer is None:
            offer = orders.offer_work_order(
                actor=self.coordinator, work_order=work_order, site=fallback, override=True
            )
        orders.accept_offer(actor=system_actor(offer.site.organization), offer=offer)
        work_order.refresh_from_db()
        return work_order

    def execute(
        self,
        work_order: WorkOrder,
        inputs: list[tuple[Lot, Decimal]],
        *,
        good: Decimal,
        code: str,
        scrap: Decimal = stock.ZERO,
        scrap_reason: str = "",
        output: Output | None = None,
        at: str = "ATELIER",
    ) -> Lot:
        """Start, consume the inputs (brought to the machine), declare, finish: one new lot
        at the location ``at`` of the site."""
        site = work_order.site
        assert site is not None
        floor = self.location(site, "ATELIER")
        for lot, quantity in inputs:
            self.bring(lot, quantity, site)
        actor = self.person(site.organization)
        production.start_work(actor=actor, work_order=work_order)
        for lot, quantity in inputs:
            production.consume_lot(
                actor=actor,
                work_order=work_order,
                lot=lot,
                location=floor,
                quantity=quantity,
                scanned=True,
            )
        production.record_output(
            actor=actor, work_order=work_order, good=good, scrap=scrap, scrap_reason=scrap_reason
        )
        if output is None:
            item = production.default_output_item(work_order)
            output = Output(item=item, quantity=good, unit=item.default_unit, code=code)
        made = production.finish_work(
            actor=actor, work_order=work_order, location=self.location(site, at), outputs=[output]
        )
        self.report.work_orders_done += 1
        self.report.lots.append(made[0].code)
        return made[0]

    def work_of(self, order: Order, design: str, operation: str) -> WorkOrder:
        return (
            WorkOrder.objects.unscoped("demo loader: work of a demo order")
            .select_related("site__organization", "operation")
            .get(
                order=order,
                manufacturing_order__version__design__slug=design,
                operation__name__startswith=operation,
            )
        )

    # ------------------------------------------------------------ Cohort 1

    def paper_version(self) -> DesignVersion:
        """GreenFabric's paper design: shred, beat into pulp, form sheets (released)."""
        found = Design.objects.unscoped("demo loader").filter(slug=PAPER_DESIGN).first()
        if found is not None:
            return found.versions.get(state=VersionState.RELEASED)  # type: ignore[no-any-return]
        gf = self.org("greenfabric")
        actor = system_actor(gf)
        design = designs.create_design(
            actor=actor,
            organization=gf,
            values={
                "slug": PAPER_DESIGN,
                "name": "Papier lin et coton recyclé A3 (Cohorte 1)",
                "kind": "product",
                "license": "CC-BY-SA-4.0",
                "summary": "Feuilles A3 de 200 g/m² faites à la main à partir de textiles "
                "post-consommation en lin et coton, sans fibre vierge.",
            },
            number="1.0",
            visibility="public",
            is_demo=True,
        )
        version = design.versions.get()
        for name, process, setup, unit in [
            ("Effilochage des textiles", "textile-shredding", "15", "0.05"),
            ("Raffinage en pâte à la pile hollandaise", "hollander-beating", "20", "0.2"),
            ("Formage, pressage et séchage des feuilles", "paper-sheet-forming", "15", "1"),
        ]:
            designs.add_operation(
                actor=actor,
                version=version,
                values={
                    "name": name,
                    "kind": "fabrication",
                    "process": Process.objects.get(code=process),
                    "setup_minutes": D(setup),
                    "unit_minutes": D(unit),
                },
            )
        return designs.release_version(actor=actor, version=version)

    def paper_order(self, version: DesignVersion) -> Order:
        encre = self.org("encre-flagey")
        customer = system_actor(encre)
        order = orders.create_order(
            actor=customer,
            customer=encre,
            requested_date=timezone.localdate() + timedelta(days=21),
            lines=[orders.LineInput(version, 300, {})],
            notes="300 feuilles A3 de papier lin et coton pour les affiches typographiques "
            "de la fête du quartier Flagey.",
            is_demo=True,
        )
        orders.submit_order(actor=customer, order=order)
        orders.release_order(actor=self.coordinator, order=order)
        return order

    def cohort_one(self) -> None:
        tri = self.site("petitsriens-tri-anderlecht")
        gf = self.site("greenfabric-molenbeek")
        petits_riens = self.org("petits-riens")
        waste = self.receive(
            tri,
            "Les Petits Riens – dons de textiles",
            LotInput(
                item=self.item(
                    petits_riens,
                    "Textile post-consommation lin/coton trié",
                    "KGM",
                    is_recycled=True,
                    specification="Chemises, draps et nappes en lin et coton, blancs et écrus.",
                ),
                quantity=D(12),
                code=MARKER_LOT,
                origin=Origin.SECONDARY,
                collection_source="Les Petits Riens, point de collecte d'Ixelles : "
                "textiles post-consommation lin/coton (collecte de quartier)",
                composition=[
                    {"material": "lin", "share": 60},
                    {"material": "coton", "share": 40},
                ],
                contaminant_checks=[
                    {"check": "fibres synthétiques (tri visuel)", "result": "pass", "note": "< 5 %"}
                ],
                grade="B",
            ),
            days_ago=3,
        )
        stock.record_inspection(
            actor=self.person(petits_riens),
            lot=waste,
            checks=[
                {"check": "boutons, fermetures et rivets retirés", "result": "pass", "note": ""},
                {"check": "humidité et moisissures", "result": "pass", "note": "sec, sans odeur"},
            ],
            grade="A",
            note="Tri fin : lin et coton blancs et écrus seulement, coutures épaisses coupées.",
        )
        # Les Petits Riens publish where the textile was collected: the paper's passport
        # then names its source.
        stock.set_passport(
            actor=system_actor(petits_riens), lot=waste, public=True, fields=["materials"]
        )
        self.ship(
            waste,
            D(12),
            gf,
            counted=D("11.8"),
            discrepancy="11,8 kg pesés à l'arrivée au lieu de 12 kg (textile plus sec).",
        )
        order = self.paper_order(self.paper_version())
        work = list(
            WorkOrder.objects.unscoped("demo loader: work of a demo order")
            .filter(order=order)
            .select_related("operation")
            .order_by("operation__position")
        )
        shred, beat, form = (self.take(wo, gf) for wo in work)
        owner = self.org("greenfabric")
        fibre = self.execute(
            shred,
            [(waste, D("11.8"))],
            good=D("11.2"),
            scrap=D("0.6"),
            scrap_reason="material",
            code="GF-C1-FIBRE",
            output=Output(
                item=self.item(owner, "Fibres effilochées lin/coton", "KGM", is_recycled=True),
                quantity=D("11.2"),
                code="GF-C1-FIBRE",
            ),
        )
        pulp = self.execute(
            beat,
            [(fibre, D("11.2"))],
            good=D("10.9"),
            code="GF-C1-PULPE",
            output=Output(
                item=self.item(
                    owner,
                    "Pâte à papier lin/coton (matière sèche)",
                    "KGM",
                    is_recycled=True,
                ),
                quantity=D("10.9"),
                code="GF-C1-PULPE",
            ),
        )
        sheet_item = production.default_output_item(form)
        sheets = self.execute(
            form,
            [(pulp, D("10.9"))],
            good=D(300),
            scrap=D(14),
            scrap_reason="setup",
            code="GF-C1-PAPIER",
            output=Output(
                item=sheet_item, quantity=D(300), unit="C62", code="GF-C1-PAPIER", gtin=_gtin()
            ),
        )
        stock.set_passport(
            actor=system_actor(owner),
            lot=sheets,
            public=True,
            fields=["design", "materials", "recycled", "workshops", "care"],
            care="Conserver à plat, au sec et à l'abri de la lumière directe. Le papier fait "
            "main accepte l'encre typographique, la risographie et l'aquarelle.",
            repair="Une déchirure se répare avec une bande de papier japonais et de la colle "
            "d'amidon de blé.",
            disposal="Fibres végétales seules, sans agent synthétique : sac jaune "
            "(papier-carton) de Bruxelles-Propreté, ou compost.",
        )
        box = stock.pack(
            actor=self.person(owner),
            location=self.location(gf, "ATELIER"),
            item=self.item(owner, "Carton de 300 feuilles A3", "C62", kind="part"),
            children=[(sheets, D(300))],
            code="GF-C1-CARTON",
        )
        self.report.lots.append(box.code)
        self.ship(box, D(1), self.site("encre-flagey-ixelles"))

    # ------------------------------------------------------------ MobiFab

    def plywood_pool(self) -> tuple[Lot, Lot]:
        """Reclaimed plywood at Cityfab 1, bought together with MobiFab and MicroFactory."""
        cityfab = self.org("cityfab-1")
        pool = StockPool.objects.owned_by(cityfab).first() or stock.create_pool(
            actor=system_actor(cityfab),
            custodian=cityfab,
            name="Contreplaqué de réemploi partagé",
            members=[self.org("mobifab"), self.org("microfactory")],
            description="Panneaux récupérés chez Rotor DC, achetés en commun ; Cityfab 1 les "
            "stocke, MobiFab et MicroFactory s'en servent.",
        )
        item = self.item(
            cityfab,
            "Contreplaqué de réemploi 18 mm",
            "MTK",
            is_recycled=True,
            specification="Bouleau, panneaux de 1,22 × 2,44 m recoupés",
        )
        site = self.site("cityfab1-laeken")
        lots = []
        for code, quantity, grade in (("RDC-CP18-A", "5.95", "A"), ("RDC-CP18-B", "4.46", "B")):
            lots.append(
                self.receive(
                    site,
                    "Rotor DC",
                    LotInput(
                        item=item,
                        quantity=D(quantity),
                        code=code,
                        origin=Origin.SECONDARY,
                        collection_source="Rotor DC, déconstruction d'un plateau de bureaux "
                        "(boulevard du Roi Albert II)",
                        composition=[{"material": "bouleau", "share": 100}],
                        contaminant_checks=[
                            {"check": "clous et vis retirés", "result": "pass", "note": ""},
                            {
                                "check": "peinture au plomb",
                                "result": "pass",
                                "note": "test rapide négatif",
                            },
                        ],
                        grade=grade,
                        pool=pool,
                    ),
                    days_ago=10,
                )
            )
        # MicroFactory, a member of the pool, takes the second lot for its own work.
        self.ship(lots[1], D("4.46"), self.site("microfactory-molenbeek"))
        return lots[0], lots[1]

    def mobifab(self) -> None:
        plywood, _taken = self.plywood_pool()
        order = (
            Order.objects.unscoped("demo loader: the MobiFab bench order")
            .filter(is_demo=True, lines__version__design__slug="mobifab-bench")
            .order_by("pk")
            .first()
        )
        if order is None:
            raise LookupError("The MobiFab bench order is missing: load the orders demo first.")
        rotor = self.site("rotordc-anderlecht")
        cityfab = self.site("cityfab1-laeken")
        timber = self.receive(
            rotor,
            "Rotor DC – chantier de déconstruction",
            LotInput(
                item=self.item(
                    self.org("rotor-dc"), "Bois de charpente de réemploi 45 × 95 mm", "MTR"
                ),
                quantity=D(48),
                code="RDC-BOIS-4595",
                origin=Origin.SECONDARY,
                collection_source="Rotor DC, charpente d'un entrepôt démonté à Tour & Taxis",
                composition=[{"material": "épicéa", "share": 100}],
                contaminant_checks=[
                    {"check": "clous et agrafes retirés", "result": "pass", "note": ""}
                ],
                grade="B",
            ),
            days_ago=7,
        )

        def step(
            design: str, operation: str, inputs: list[tuple[Lot, Decimal]], code: str, **kw: Any
        ) -> Lot:
            wo = self.take(self.work_of(order, f"mobifab-{design}", operation), cityfab)
            return self.execute(wo, inputs, good=D(wo.quantity), code=code, **kw)

        cut = step("bench", "Délignage", [(timber, D("42.5"))], "RDC-DEBIT-01")
        slats = step("bench", "Usinage CNC des lattes", [(cut, D(4))], "BANC-LATTES-01")
        drilled = step("bench", "Perçage", [(slats, D(4))], "BANC-PERCE-01")
        spacers = step("bench", "Découpe CNC", [(plywood, D("1.15"))], "BANC-ENTR-01")
        oiled = step("bench", "Ponçage", [(drilled, D(4))], "BANC-HUILE-01")
        printed = step("connector", "Impression", [], "CONN-IMPR-01")
        connectors = step("connector", "Retrait", [(printed, stock.on_hand(printed))], "CONN-01")
        parts = [(oiled, D(4)), (spacers, D(4)), (connectors, stock.on_hand(connectors))]
        benches = step("bench", "Assemblage", parts, "BANC-ASSEMB-01")
        # Packed and ready for the Commune de Forest (no site in the network): at the dock.
        kits = step("bench", "Mise en kit", [(benches, D(4))], "MOBIFAB-BANC-01", at="QUAI")
        stock.set_passport(
            actor=system_actor(kits.owner),
            lot=kits,
            public=True,
            fields=["design", "workshops", "care"],
            care="Huiler les lattes une fois par an (huile dure lin et cire).",
            repair="Chaque latte, pied ou connecteur se remplace seul : plans ouverts dans la "
            "bibliothèque ReProduce.",
            disposal="Démonter : bois non traité vers le réemploi (Rotor DC), connecteurs en "
            "rPETG vers la collecte des plastiques durs.",
        )

    # ------------------------------------------------------------ the shop floor today

    def shop_floor(self) -> None:
        """The tote-bag order at Atelier BruCycle: one job paused, the others waiting."""
        order = (
            Order.objects.unscoped("demo loader: the tote-bag order")
            .filter(is_demo=True, lines__version__design__slug="brucycle-tote-bag")
            .order_by("pk")
            .first()
        )
        if order is None:
            raise LookupError("The tote-bag order is missing: load the orders demo first.")
        atelier = self.site("brucycle-saint-gilles")
        brucycle = self.org("brucycle")
        denim = self.receive(
            atelier,
            "Les Petits Riens",
            LotInput(
                item=self.item(brucycle, "Jeans post-consommation triés", "KGM"),
                quantity=D(25),
                code="PR-DENIM-2601",
                origin=Origin.SECONDARY,
                collection_source="Les Petits Riens, centre de tri d'Anderlecht : jeans "
                "déclassés (usés, tachés)",
                composition=[
                    {"material": "coton", "share": 98},
                    {"material": "élasthanne", "share": 2},
                ],
                grade="B",
            ),
            days_ago=2,
        )
        banner = self.receive(
            atelier,
            "Encre Flagey",
            LotInput(
                item=self.item(brucycle, "Bâche publicitaire récupérée", "MTK"),
                quantity=D(30),
                code="EF-BACHE-2601",
                origin=Origin.SECONDARY,
                collection_source="Bâches du festival de quartier Flagey, édition précédente",
                composition=[{"material": "PVC enduit polyester", "share": 100}],
                grade="A",
            ),
            days_ago=2,
        )
        check = self.take(self.work_of(order, "brucycle-tote-bag", "Contrôle"), atelier)
        lining = self.take(self.work_of(order, "brucycle-tote-bag", "Doublure"), atelier)
        actor = self.person(brucycle)
        if check.site_id == atelier.pk:
            floor = self.location(atelier, "ATELIER")
            self.bring(denim, D(12), atelier)
            production.start_work(actor=actor, work_order=check)
            production.consume_lot(
                actor=actor, work_order=check, lot=denim, location=floor, quantity=D(12)
            )
            production.record_output(
                actor=actor,
                work_order=check,
                good=D(26),
                scrap=D(2),
                scrap_reason="material",
                note="Deux jeans trop usés à l'entrejambe.",
            )
            production.pause_work(
                actor=actor, work_order=check, reason="break", note="Reprise après midi."
            )
        if lining.site_id == atelier.pk:
            stock.reserve(
                actor=actor,
                lot=banner,
                location=self.location(atelier),
                work_order=lining,
                quantity=D(14),
            )
