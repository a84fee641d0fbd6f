"""The REST API v1: composes the routers of every app at /api/v1/."""

from ninja import NinjaAPI

from reproduce.api import errors
from reproduce.api.auth import ActorAuth

api = NinjaAPI(
    title="ReProduce API",
    version="1",
    description=(
        "REST API of the ReProduce network. Authenticate with a personal access token "
        "(`Authorization: Bearer rp_…`, created on your profile page) or a browser session. "
        "Lists answer `{items, count}` with `limit`/`offset`. Errors answer "
        "`{code, message, details}` with a stable `code`. Creating POSTs accept an "
        "`Idempotency-Key` header: a retried request returns the first response."
    ),
    urls_namespace="api",
    auth=ActorAuth(),
    docs_url="/docs",
)
errors.install(api)


def _add_routers() -> None:
    from reproduce.network.api import router as network_router
    from reproduce.network.okw_api import router as okw_router

    api.add_router("/", network_router)
    api.add_router("/okw", okw_router)
    api.add_router("/", "reproduce.designs.api.router")  # the designs library
    api.add_router("/", "reproduce.orders.api.router")  # orders, quotes, work orders, offers
    api.add_router("/", "reproduce.planning.api.router")  # the network plan, bookings, iCal
    api.add_router("/", "reproduce.inventory.api.router")  # stock, lots, transfers
    api.add_router("/", "reproduce.production.api.router")  # shop-floor execution
    api.add_router("/", "reproduce.traceability.api.router")  # trace, passports, EPCIS
    api.add_router("/", "reproduce.programme.api.router")  # calls, applications, cohorts


_add_routers()
