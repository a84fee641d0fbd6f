from django.contrib import admin

from reproduce.core.admin import PlatformAdmin
from reproduce.network.models import Commune, Machine, Material, Process, SharingPolicy, Site


@admin.register(Process)
class ProcessAdmin(PlatformAdmin):
    """The shared taxonomy, curated by the platform for the network."""

    list_display = ("code", "label_fr", "label_nl", "label_en", "parent")
    search_fields = ("code", "label_fr", "label_nl", "label_en")


@admin.register(Material)
class MaterialAdmin(PlatformAdmin):
    list_display = ("code", "category", "label_fr", "label_nl", "label_en")
    list_filter = ("category",)
    search_fields = ("code", "label_fr", "label_nl", "label_en")


@admin.register(Commune)
class CommuneAdmin(PlatformAdmin):
    list_display = ("nis_code", "name_fr", "name_nl")


@admin.register(Site)
class SiteAdmin(PlatformAdmin):
    list_display = ("name", "organization", "commune", "is_listed", "is_demo")
    list_filter = ("commune", "is_listed", "is_demo")
    search_fields = ("name", "organization__name")
    readonly_fields = ("search_text",)


@admin.register(Machine)
class MachineAdmin(PlatformAdmin):
    list_display = ("name", "site", "process", "make", "model", "is_demo")
    list_filter = ("process",)
    search_fields = ("name", "make", "model", "site__name")
    readonly_fields = ("search_text",)


@admin.register(SharingPolicy)
class SharingPolicyAdmin(PlatformAdmin):
    list_display = ("organization", "group", "audience")
    list_filter = ("group", "audience")
