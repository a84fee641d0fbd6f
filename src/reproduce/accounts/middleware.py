from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class PreferredLanguageMiddleware:
    """Send a signed-in person to their preferred language when the URL has no language prefix.

    The URL prefix (/fr/, /nl/, /en/) always wins once present, so links can be shared; this
    only sets the language cookie that LocaleMiddleware reads for unprefixed URLs.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            lang = getattr(user, "preferred_language", "")
            if lang and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != lang:
                response.set_cookie(
                    settings.LANGUAGE_COOKIE_NAME, lang, samesite="Lax", max_age=365 * 24 * 3600
                )
        return response


def activate_for(user: object) -> None:
    lang = getattr(user, "preferred_language", "") or settings.LANGUAGE_CODE
    translation.activate(lang)
