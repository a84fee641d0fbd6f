"""Pages of orders and dispatch (see views.py for who may do what)."""

from django.urls import path

from reproduce.orders import views

app_name = "orders"

urlpatterns = [
    path("", views.order_list, name="list"),
    path("new/", views.new, name="new"),
    path("new/on-behalf/", views.new_on_behalf, name="new_on_behalf"),
    path("inbox/", views.inbox, name="inbox"),
    path("dispatch/", views.dispatch, name="dispatch"),
    path("<int:order_id>/", views.detail, name="detail"),
    path("<int:order_id>/submit/", views.submit, name="submit"),
    path("<int:order_id>/request-quote/", views.request_quote, name="request_quote"),
    path("<int:order_id>/cancel/", views.cancel, name="cancel"),
    path("<int:order_id>/on-behalf/", views.on_behalf, name="on_behalf"),
    path("<int:order_id>/quote/", views.quote, name="quote"),
    path("<int:order_id>/release/", views.release, name="release"),
    path("<int:order_id>/dispatch/", views.dispatch_all, name="dispatch_all"),
    path("work/<int:work_order_id>/", views.work_order, name="work_order"),
    path("work/<int:work_order_id>/offer/", views.offer, name="offer"),
    path("work/<int:work_order_id>/assign/", views.assign, name="assign"),
    path("offers/<int:offer_id>/accept/", views.accept, name="accept"),
    path("offers/<int:offer_id>/decline/", views.decline, name="decline"),
    path("offers/<int:offer_id>/counter/", views.counter, name="counter"),
    path("offers/<int:offer_id>/counter/accept/", views.counter_accept, name="counter_accept"),
    path("offers/<int:offer_id>/counter/refuse/", views.counter_refuse, name="counter_refuse"),
    path("offers/<int:offer_id>/withdraw/", views.withdraw, name="withdraw"),
]
