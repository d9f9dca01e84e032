"""``expire_import_uploads``: delete workbook uploads never confirmed (also run hourly by
Celery beat, ``catalog.import_uploads_expire``)."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.jobs import job_uploads_expire


class Command(BaseCommand):
    help = gettext_lazy(
        "Delete the uploaded workbooks of imports never confirmed, older than "
        "IMPORT_UPLOAD_TTL_HOURS."
    )

    def handle(self, *args, verbosity, **options):
        deleted = job_uploads_expire()
        if verbosity:
            self.stdout.write(_("%(count)d uploads deleted.") % {"count": len(deleted)})
