from django.utils.translation import gettext as _


class RoleMatrixError(Exception):
    """The role matrix names permissions that do not exist."""

    def __init__(self, missing: list[str]):
        self.missing = missing
        super().__init__(
            _("The role matrix names unknown permissions: %(missing)s")
            % {"missing": ", ".join(sorted(missing))}
        )
