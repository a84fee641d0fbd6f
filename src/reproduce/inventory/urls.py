"""Pages of the stock, under /<lang>/stock/ (see ``views``): lots are named by their code."""

from django.urls import path

from reproduce.inventory import views

app_name = "inventory"

urlpatterns = [
    path("", views.home, name="home"),
    path("receive/", views.receive, name="receive"),
    path("receipts/<int:pk>/", views.receipt_detail, name="receipt"),
    path("items/new/", views.item_new, name="item_new"),
    path("lots/<str:code>/", views.lot_detail, name="lot"),
    path("lots/<str:code>/inspect/", views.inspect, name="inspect"),
    path("lots/<str:code>/move/", views.move, name="move"),
    path("lots/<str:code>/scrap/", views.scrap, name="scrap"),
    path("lots/<str:code>/adjust/", views.adjust, name="adjust"),
    path("lots/<str:code>/reserve/", views.reserve, name="reserve"),
    path("lots/<str:code>/certificates/", views.certificate, name="certificate"),
    path("lots/<str:code>/certificates/add/", views.certificate_add, name="certificate_add"),
    path("reservations/<int:pk>/release/", views.release, name="release"),
    path("transfers/", views.transfers, name="transfers"),
    path("transfers/ship/", views.ship, name="ship"),
    path("transfers/<int:pk>/", views.transfer_detail, name="transfer"),
    path("transfers/<int:pk>/receive/", views.transfer_receive, name="transfer_receive"),
    path("locations/", views.locations, name="locations"),
    path("locations/new/", views.location_new, name="location_new"),
    path("locations/<int:pk>/edit/", views.location_edit, name="location_edit"),
    path("pools/", views.pools, name="pools"),
    path("pools/new/", views.pool_new, name="pool_new"),
    path("conversions/", views.conversions, name="conversions"),
]
