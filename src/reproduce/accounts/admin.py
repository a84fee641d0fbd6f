from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from reproduce.accounts.models import ApiToken, Membership, NetworkRole, Organization, User
from reproduce.core.admin import PlatformAdmin


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "preferred_language", "is_staff", "is_demo")
    search_fields = ("email", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "preferred_language", "is_demo")}),
        ("Platform", {"fields": ("is_active", "is_staff", "is_superuser")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Organization)
class OrganizationAdmin(PlatformAdmin):
    list_display = ("name", "kind", "enterprise_number", "is_active", "is_demo")
    list_filter = ("kind", "is_active", "is_demo")
    search_fields = ("name", "legal_name", "enterprise_number")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Membership)
class MembershipAdmin(PlatformAdmin):
    list_display = ("user", "organization", "role")
    list_filter = ("role",)
    search_fields = ("user__email", "organization__name")
    autocomplete_fields = ("user", "organization")


@admin.register(NetworkRole)
class NetworkRoleAdmin(PlatformAdmin):
    """Network coordinators, programme officers and reviewers are appointed here."""

    list_display = ("user", "role")
    list_filter = ("role",)
    autocomplete_fields = ("user",)


@admin.register(ApiToken)
class ApiTokenAdmin(PlatformAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "token_hash", "created_at", "last_used_at")
    search_fields = ("user__email", "name", "prefix")
