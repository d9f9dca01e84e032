from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from inventory.models import StockMove
from inventory.selectors import stock_integrity_mismatches


class Command(BaseCommand):
    help = _("Recompute stock levels from the stock ledger and list every mismatch.")

    def handle(self, *args, **options):
        mismatches = stock_integrity_mismatches()
        if mismatches:
            for line in mismatches:
                self.stderr.write(line)
            raise CommandError(
                ngettext(
                    "%(count)d stock figure disagrees with the ledger.",
                    "%(count)d stock figures disagree with the ledger.",
                    len(mismatches),
                )
                % {"count": len(mismatches)}
            )
        self.stdout.write(
            _("OK: stock levels agree with the ledger (%(moves)d moves).")
            % {"moves": StockMove.objects.count()}
        )
