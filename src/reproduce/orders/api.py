"""API of the orders app (see the OpenAPI description at /api/v1/docs)."""

from ninja import Router

router = Router(tags=["orders"])
