from django.core.management.base import BaseCommand, CommandError

from staff import services
from staff.exceptions import RoleMatrixError


class Command(BaseCommand):
    help = "Create the staff role groups and set their permissions from the role matrix."

    def handle(self, *args, **options):
        try:
            counts = services.roles_sync()
        except RoleMatrixError as error:
            raise CommandError(str(error)) from error
        for role, count in counts.items():
            self.stdout.write(f"{role}: {count} permissions")
