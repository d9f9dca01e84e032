"""The audit trail of role membership (who gained or lost a role, when, by whom)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RoleChange(models.Model):
    class Action(models.TextChoices):
        ADDED = "added", _("added")
        REMOVED = "removed", _("removed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="role_changes",
    )
    role = models.CharField(_("role"), max_length=150)
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("role change")
        verbose_name_plural = _("role changes")
        ordering = ["-changed_at", "-id"]
        permissions = [("view_role_matrix", _("Can see the role matrix"))]

    def __str__(self) -> str:
        return f"{self.user} {self.get_action_display()} {self.role}"
