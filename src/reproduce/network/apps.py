from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _load_reference_data(sender, **kwargs):  # type: ignore[no-untyped-def]
    """The process/material taxonomy and the communes are reference data every install needs."""
    from reproduce.network.taxonomy import load_communes, load_taxonomy

    load_taxonomy()
    load_communes()


class NetworkConfig(AppConfig):
    name = "reproduce.network"
    label = "network"
    verbose_name = _("Network registry")

    def ready(self) -> None:
        post_migrate.connect(_load_reference_data, sender=self)
