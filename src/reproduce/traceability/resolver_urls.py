"""Persistent lot addresses outside the language prefix (GS1 Digital Link shaped).

They are printed on labels and must never change: ``/01/<gtin>/10/<lot>`` for a product with
a GTIN (8 to 14 digits; GS1's canonical form has 14), ``/lot/<code>`` otherwise. Both show the
lot's passport in the visitor's language (chosen by the locale middleware), or 404.
"""

from django.urls import path, re_path

from reproduce.traceability import views

urlpatterns = [
    re_path(
        r"^01/(?P<gtin>[0-9]{8,14})/10/(?P<lot_code>[A-Za-z0-9._-]{1,40})/?$",
        views.digital_link,
        name="digital_link",
    ),
    path("lot/<str:code>", views.lot_link, name="lot_link"),
]
