from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.utils import translation


class AccountAdapter(DefaultAccountAdapter):
    """New accounts remember the language they signed up in."""

    def save_user(self, request: HttpRequest, user, form, commit=True):  # type: ignore[no-untyped-def]
        lang = (translation.get_language() or "fr")[:2]
        if lang in {"fr", "nl", "en"}:
            user.preferred_language = lang
        return super().save_user(request, user, form, commit=commit)
