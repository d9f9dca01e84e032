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

        _guard_autocomplete()


def _guard_autocomplete() -> None:
    """Django's admin autocomplete widget looks up the posted value as it came: a form sent
    back with something that is not an id ("1e20") made the page answer 500 instead of
    showing the field's error. Values the target field cannot read are left out of that
    lookup; the form still reports them as invalid choices."""
    from django.contrib.admin.widgets import AutocompleteMixin
    from django.core.exceptions import ValidationError

    original = AutocompleteMixin.optgroups

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        opts = remote.model._meta
        target = opts.get_field(getattr(remote, "field_name", None) or opts.pk.name)

        def readable(raw) -> bool:
            try:
                target.get_prep_value(target.to_python(raw))
            except (ValidationError, ValueError, TypeError, OverflowError):
                return False
            return True

        return original(self, name, [v for v in value if readable(v)], attr)

    AutocompleteMixin.optgroups = optgroups
