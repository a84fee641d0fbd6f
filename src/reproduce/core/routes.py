"""Access policies of routes we do not write ourselves (allauth, admin, i18n, the API docs).

Our own views declare theirs with ``@access``; the permission matrix reads both, and fails
for a route that has neither.
"""

from reproduce.core.permissions import Access

# Matched against the view's module (prefix) or the URL name.
THIRD_PARTY_POLICIES: dict[str, Access] = {
    "allauth.": Access("public"),  # sign-in, sign-up, reset: allauth guards its own pages
    "django.contrib.admin": Access("network", perm="platform.admin"),
    "django.views.i18n": Access("public"),
    "django.views.static": Access("public"),
    "ninja.openapi": Access("public"),
}
