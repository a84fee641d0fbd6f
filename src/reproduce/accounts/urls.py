from django.urls import path

from reproduce.accounts import views

app_name = "accounts"
urlpatterns = [
    path("me/", views.profile, name="profile"),
    path("me/switch/", views.switch_organization, name="switch_organization"),
    path("me/tokens/", views.api_tokens, name="api_tokens"),
    path("organizations/", views.organization_list, name="organization_list"),
    path("organizations/new/", views.organization_create, name="organization_create"),
    path("organizations/<slug:org_slug>/edit/", views.organization_edit, name="organization_edit"),
    path("organizations/<slug:org_slug>/members/", views.members, name="members"),
    # The secret travels as ?token=… so the route has no object parameter to guess.
    path("invitations/accept/", views.invitation_accept, name="invitation_accept"),
]
