"""Pages of traceability (see views.py for who may do what)."""

from django.urls import path

from reproduce.traceability import views

app_name = "traceability"

urlpatterns = [
    path("", views.search, name="search"),
    path("lots/<str:code>/", views.trace, name="trace"),
    path("lots/<str:code>/recall/", views.recall, name="recall"),
    path("network/lots/<str:code>/recall/", views.recall_network, name="recall_network"),
    path("lots/<str:code>/labels.pdf", views.lot_labels, name="labels"),
    path("labels/receipt/<int:pk>/", views.receipt_labels, name="receipt_labels"),
    path("labels/work-order/<int:pk>/", views.work_order_labels, name="work_order_labels"),
    path("passport/<str:code>/", views.passport, name="passport"),
    path("passport/<str:code>/settings/", views.passport_settings, name="passport_settings"),
]
