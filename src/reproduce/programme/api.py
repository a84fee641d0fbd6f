"""REST API of the accompaniment programme: calls (public list), applications (officer side),
scores, cohorts, grants, indicators."""

from ninja import Router

from reproduce.programme import api_calls, api_cohorts, api_indicators, api_review

router = Router(tags=["programme"])
router.add_router("", api_calls.router)
router.add_router("", api_review.router)
router.add_router("", api_cohorts.router)
router.add_router("", api_indicators.router)
