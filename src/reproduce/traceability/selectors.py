"""Reads of traceability: trace trees up and down, recall lists.

Both build on the genealogy walks of :mod:`reproduce.inventory.selectors` (one recursive
query each, every lot visited once) and then load what they show in a fixed number of
queries, whatever the size of the genealogy. A lot the actor may not see stays in the tree
(its place tells that the chain goes on) but shows no code and no detail: only "a lot of
another organisation".
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, Sum

from reproduce.core.actor import Actor
from reproduce.core.permissions import has_perm
from reproduce.designs.models import UNIT_SYMBOLS, DesignKind
from reproduce.inventory.models import (
    EntryKind,
    Location,
    Lot,
    LotLink,
    StockEntry,
    TransferLine,
)
from reproduce.inventory.selectors import links_between, trace_down_ids, trace_up_ids
from reproduce.network.models import Site

ZERO = Decimal(0)
# A trace page shows at most this many lots per direction; the API and the recall list have
# the rest (a lot at the root of a whole season's production reaches thousands).
MAX_NODES = 300
MADE = (EntryKind.RECEIPT, EntryKind.PRODUCTION)


def sees_everything(actor: Actor) -> bool:
    """Network coordinators trace the whole network."""
    return has_perm(actor, "trace.network")


def visible_ids(actor: Actor, ids: Iterable[int]) -> set[int]:
    wanted = set(ids)
    if sees_everything(actor) or not wanted:
        return wanted
    return set(Lot.objects.visible_to(actor).filter(pk__in=wanted).values_list("pk", flat=True))


def visible_site_ids(actor: Actor, ids: Iterable[int]) -> set[int]:
    wanted = {i for i in ids if i is not None}
    if sees_everything(actor) or not wanted:
        return wanted
    return set(Site.objects.visible_to(actor).filter(pk__in=wanted).values_list("pk", flat=True))


# ---------------------------------------------------------------- trace trees


@dataclass
class Node:
    """One lot of a trace (``visible`` False: shown as a lot of another organisation)."""

    id: int
    depth: int
    visible: bool
    lot: Lot | None = None
    site_name: str = ""
    made: Decimal | None = None
    on_hand: Decimal | None = None
    children: list[Node] = field(default_factory=list)
    # Codes of the other lots this one is also linked to (reached first by another path).
    also: list[str] = field(default_factory=list)

    @property
    def unit_symbol(self) -> str:
        return UNIT_SYMBOLS.get(self.lot.unit, self.lot.unit) if self.lot else ""


@dataclass
class Trace:
    root: Node
    up: list[Node]  # the root's parents, each with its own parents below
    down: list[Node]  # the root's children, each with its own children below
    up_count: int  # every lot upstream (the tree may show fewer: MAX_NODES)
    down_count: int
    nodes: dict[int, Node]
    edges: list[tuple[int, int]]  # (parent, child) among the nodes shown

    @property
    def truncated(self) -> bool:
        shown = len(self.nodes) - 1
        return shown < self.up_count + self.down_count


def _adjacency(
    links: Iterable[tuple[int, int]],
) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    down: dict[int, list[int]] = defaultdict(list)
    up: dict[int, list[int]] = defaultdict(list)
    for parent, child in links:
        down[parent].append(child)
        up[child].append(parent)
    for mapping in (down, up):
        for ids in mapping.values():
            ids.sort()
    return down, up


def _bfs(
    root: int, neighbours: dict[int, list[int]], limit: int
) -> tuple[dict[int, int], dict[int, int | None], dict[int, list[int]]]:
    """Breadth first: each lot once, at its shortest distance, under the lot that reached it
    first. Returns depth, tree parent and the other (non-tree) links of each lot."""
    depth = {root: 0}
    tree_parent: dict[int, int | None] = {root: None}
    others: dict[int, list[int]] = defaultdict(list)
    queue = deque([root])
    while queue:
        current = queue.popleft()
        for nxt in neighbours.get(current, []):
            if nxt in depth:
                if tree_parent.get(nxt) != current and nxt != root:
                    others[nxt].append(current)
                continue
            if len(depth) > limit:
                continue
            depth[nxt] = depth[current] + 1
            tree_parent[nxt] = current
            queue.append(nxt)
    return depth, tree_parent, others


def _quantities(ids: Iterable[int]) -> dict[int, dict[str, Decimal]]:
    rows = (
        StockEntry.objects.unscoped("quantities of lots whose visibility the caller checks")
        .filter(lot_id__in=list(ids))
        .values("lot")
        .annotate(
            on_hand=Sum("quantity"),
            made=Sum("quantity", filter=Q(kind__in=MADE)),
        )
        .order_by()
    )
    return {r["lot"]: r for r in rows}


def _load_nodes(actor: Actor, depths: dict[int, int]) -> dict[int, Node]:
    ids = set(depths)
    seen = visible_ids(actor, ids)
    lots = {
        lot.pk: lot
        for lot in Lot.objects.unscoped("trace: only the visible ones are shown below")
        .filter(pk__in=seen)
        .select_related("item", "owner", "custodian", "site", "work_order")
    }
    sites = visible_site_ids(actor, {lot.site_id for lot in lots.values()})
    quantities = _quantities(seen)
    nodes = {}
    for pk in ids:
        lot = lots.get(pk)
        node = Node(id=pk, depth=depths[pk], visible=lot is not None, lot=lot)
        if lot is not None:
            node.site_name = lot.site.name if lot.site_id in sites else ""
            row = quantities.get(pk, {})
            node.made = row.get("made")
            node.on_hand = row.get("on_hand") or ZERO
        nodes[pk] = node
    return nodes


def _tree(
    root: int, nodes: dict[int, Node], parents: dict[int, int | None], others: dict[int, list[int]]
) -> list[Node]:
    """Hang each lot under the lot that reached it first; the root's own list is returned
    (the root node is shared by the upstream and the downstream trees)."""
    top: list[Node] = []
    for pk, parent in sorted(parents.items(), key=lambda kv: (nodes[kv[0]].depth, kv[0])):
        if parent is None:
            continue
        node = nodes[pk]
        (top if parent == root else nodes[parent].children).append(node)
        node.also = sorted(
            nodes[o].lot.code  # type: ignore[union-attr]
            for o in others.get(pk, [])
            if o in nodes and nodes[o].visible and o != root
        )
    return top


def trace(
    actor: Actor, lot: Lot, *, limit: int = MAX_NODES, up: bool = True, down: bool = True
) -> Trace:
    """The lot's genealogy both ways (or one), as two trees; the caller checked the lot is
    visible. Upstream and downstream share only the root: the services refuse loops."""
    up_ids = trace_up_ids([lot.pk]) if up else set()
    down_ids = trace_down_ids([lot.pk]) if down else set()
    links = list(links_between(up_ids | down_ids | {lot.pk}).values_list("parent_id", "child_id"))
    children_of, parents_of = _adjacency(links)
    up_depth, up_parent, up_others = _bfs(lot.pk, parents_of, limit)
    down_depth, down_parent, down_others = _bfs(lot.pk, children_of, limit)
    nodes = _load_nodes(actor, {**up_depth, **down_depth})
    shown = set(nodes)
    return Trace(
        root=nodes[lot.pk],
        up=_tree(lot.pk, nodes, up_parent, up_others),
        down=_tree(lot.pk, nodes, down_parent, down_others),
        up_count=len(up_ids),
        down_count=len(down_ids),
        nodes=nodes,
        edges=[(p, c) for p, c in links if p in shown and c in shown],
    )


# ---------------------------------------------------------------- recall


@dataclass
class Place:
    site_name: str
    location: str
    quantity: Decimal


@dataclass
class RecallLine:
    """An affected finished lot (``lot`` None: a lot of another organisation)."""

    lot: Lot | None
    on_hand: Decimal = ZERO
    places: list[Place] = field(default_factory=list)
    work_order: str = ""
    order: str = ""
    customer: str = ""
    shipped_to: list[str] = field(default_factory=list)

    @property
    def unit_symbol(self) -> str:
        return UNIT_SYMBOLS.get(self.lot.unit, self.lot.unit) if self.lot else ""


@dataclass
class Customer:
    name: str
    orders: list[str] = field(default_factory=list)
    lots: list[str] = field(default_factory=list)


@dataclass
class Recall:
    root: Lot
    lines: list[RecallLine]
    customers: list[Customer]
    destinations: list[str]  # organisations that received affected lots
    hidden: int  # affected lots of organisations the actor may not see
    reached: int  # every lot made from the root (finished or not)


def _affected(ids: set[int]) -> list[Lot]:
    """Finished lots among ``ids``: nothing was made from them, or they are a product."""
    has_children = LotLink.objects.unscoped("existence test on traced lots").filter(
        parent=OuterRef("pk")
    )
    return list(
        Lot.objects.unscoped("recall: visibility applied by the caller")
        .filter(pk__in=ids)
        .annotate(has_children=Exists(has_children))
        .filter(Q(has_children=False) | Q(item__design__kind=DesignKind.PRODUCT))
        .select_related(
            "item", "owner", "custodian", "work_order__order__customer", "work_order__site"
        )
        .order_by("code")
    )


def _places(ids: list[int]) -> dict[int, list[tuple[int, int, Decimal]]]:
    rows = (
        StockEntry.objects.unscoped("stock of recalled lots")
        .filter(lot_id__in=ids)
        .values("lot", "site", "location")
        .annotate(quantity=Sum("quantity"))
        .exclude(quantity=0)
        .order_by("lot", "site", "location")
    )
    found: dict[int, list[tuple[int, int, Decimal]]] = defaultdict(list)
    for r in rows:
        found[r["lot"]].append((r["site"], r["location"], r["quantity"]))
    return found


def _shipments(actor: Actor, ids: list[int]) -> dict[int, list[str]]:
    lines = (
        TransferLine.objects.unscoped("transfers of recalled lots, filtered below")
        .filter(lot_id__in=ids)
        .select_related("transfer__to_site__organization", "transfer__from_site")
        .order_by("pk")
    )
    everything = sees_everything(actor)
    orgs = actor.organization_ids
    found: dict[int, list[str]] = defaultdict(list)
    for line in lines:
        transfer = line.transfer
        known = everything or {
            transfer.from_site.organization_id,
            transfer.to_site.organization_id,
        } & set(orgs)
        if not known:
            continue
        name = transfer.to_site.organization.name
        if name not in found[line.lot_id]:
            found[line.lot_id].append(name)
    return found


def recall(actor: Actor, lot: Lot) -> Recall:
    """Affected finished lots made (directly or not) from ``lot``, where they are, and who
    has them: customers of the orders that made them, organisations they were shipped to."""
    down = trace_down_ids([lot.pk])
    affected = _affected(down | {lot.pk})
    seen = visible_ids(actor, (a.pk for a in affected))
    shown = [a for a in affected if a.pk in seen]
    ids = [a.pk for a in shown]
    places = _places(ids)
    locations = {
        loc.pk: loc
        for loc in Location.objects.unscoped("locations holding visible lots")
        .filter(pk__in={p[1] for rows in places.values() for p in rows})
        .select_related("site")
    }
    sites = visible_site_ids(actor, {loc.site_id for loc in locations.values()})
    shipped = _shipments(actor, ids)
    lines = [_line(actor, a, places.get(a.pk, []), locations, sites, shipped) for a in shown]
    return Recall(
        root=lot,
        lines=lines,
        customers=_customers(lines),
        destinations=sorted({name for line in lines for name in line.shipped_to}),
        hidden=len(affected) - len(shown),
        reached=len(down),
    )


def _line(
    actor: Actor,
    lot: Lot,
    places: list[tuple[int, int, Decimal]],
    locations: dict[int, Location],
    sites: set[int],
    shipped: dict[int, list[str]],
) -> RecallLine:
    line = RecallLine(lot=lot, shipped_to=shipped.get(lot.pk, []))
    for site_id, location_id, quantity in places:
        location = locations[location_id]
        line.places.append(
            Place(
                site_name=location.site.name if site_id in sites else "",
                location=location.code if site_id in sites else "",
                quantity=quantity,
            )
        )
        line.on_hand += quantity
    work_order = lot.work_order
    if work_order is not None and (
        sees_everything(actor)
        or (
            work_order.site is not None
            and work_order.site.organization_id in actor.organization_ids
        )
    ):
        line.work_order = work_order.reference
        line.order = work_order.order.reference
        line.customer = work_order.order.customer.name
    return line


def _customers(lines: list[RecallLine]) -> list[Customer]:
    by_name: dict[str, Customer] = {}
    for line in lines:
        if not line.customer or line.lot is None:
            continue
        customer = by_name.setdefault(line.customer, Customer(name=line.customer))
        if line.order not in customer.orders:
            customer.orders.append(line.order)
        customer.lots.append(line.lot.code)
    return sorted(by_name.values(), key=lambda c: c.name)


def aliases(trace_: Trace) -> dict[int, str]:
    """How the API names each lot of a trace: its code, or ``hidden-<n>`` for a lot the caller
    may not see (stable within one answer, meaningless outside it)."""
    names = {}
    hidden = 0
    for pk in sorted(trace_.nodes):
        node = trace_.nodes[pk]
        if node.visible and node.lot is not None:
            names[pk] = node.lot.code
        else:
            hidden += 1
            names[pk] = f"hidden-{hidden}"
    return names
