from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PurchasingConfig(AppConfig):
    name = "purchasing"
    verbose_name = _("Purchasing")

    def ready(self):
        from catalog import jobs
        from purchasing import checks  # noqa: F401  (registers the settings checks)
        from purchasing.importing import workbook_import
        from purchasing.sheets import KINDS

        for kind in KINDS:  # the admin's Import buttons of suppliers and offers
            jobs.importer_register(kind, workbook_import)
