from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from reproduce.api.urls import api
from reproduce.web import views as web_views

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", web_views.healthz, name="healthz"),
    # Printed on labels: must never change (GS1 Digital Link shaped, no language prefix).
    path("", include("reproduce.traceability.resolver_urls")),
]

urlpatterns += i18n_patterns(
    path("", include("reproduce.web.urls")),
    path("", include("reproduce.network.urls")),
    path("manage/", include("reproduce.network.manage_urls")),
    path("okw/", include("reproduce.network.okw_urls")),
    path("designs/", include("reproduce.designs.urls")),
    path("orders/", include("reproduce.orders.urls")),
    path("planning/", include("reproduce.planning.urls")),
    path("stock/", include("reproduce.inventory.urls")),
    path("work/", include("reproduce.production.urls")),
    path("trace/", include("reproduce.traceability.urls")),
    path("programme/", include("reproduce.programme.urls")),
    path("", include("reproduce.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    prefix_default_language=True,
)

# Uploaded files are never served from MEDIA_URL: every download goes through a view that
# checks who may see it (see reproduce.files.http).
