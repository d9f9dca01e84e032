from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_migrate
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = _("Staff")

    def ready(self) -> None:
        from django.contrib.auth.models import User

        from staff import links, receivers

        links.install()

        post_migrate.connect(receivers.sync_roles_after_migrate, sender=self)
        m2m_changed.connect(
            receivers.record_role_change,
            sender=User.groups.through,
            dispatch_uid="staff.record_role_change",
        )
