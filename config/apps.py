"""App configs that rename installed packages' apps in the interface."""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _


class LoginProtectionConfig(AxesAppConfig):
    """django-axes, named in the admin for what it does (its own name is the label)."""

    verbose_name = _("login protection")
