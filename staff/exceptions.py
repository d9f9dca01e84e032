from django.utils.translation import gettext as _


class RoleMatrixError(Exception):
    """The role matrix names permissions that do not exist."""

    def __init__(self, missing: list[str]):
        self.missing = missing
        super().__init__(
            _("The role matrix names unknown permissions: %(missing)s")
            % {"missing": ", ".join(sorted(missing))}
        )


class ShelfPinError(Exception):
    """A pin or exclusion of the shelf plan that cannot be made; the message says why."""
