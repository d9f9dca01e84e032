"""The project's own app config (its system checks) and configs that rename installed
packages' apps in the interface."""

from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoginProtectionConfig(AxesAppConfig):
    """django-axes, named in the admin for what it does (its own name is the label)."""

    verbose_name = _("login protection")


class JingxiConfig(AppConfig):
    """The project itself: registers the checks that guard its configuration."""

    name = "config"
    label = "jingxi"
    verbose_name = _("Jingxi")

    def ready(self) -> None:
        from config import checks  # noqa: F401  (registers the checks)
