"""``manage.py seed_demo``: load the demo data of every app and print the demo logins.

It lives in ``staff``, the top layer, because it drives every app's ``demo`` module.
"""

import importlib
import time
from importlib.util import find_spec
from types import ModuleType

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.demo import COMMAND_SCALES, DemoDataMissing, demo_data_paths


def demo_modules() -> list[ModuleType]:
    """Return the ``demo`` module of each installed app that has one, in INSTALLED_APPS order.

    Each of its hooks (``demo_reset``, ``demo_seed``, ``demo_logins``; see ``catalog.demo``)
    is optional.
    """
    modules = []
    for app_config in apps.get_app_configs():
        name = f"{app_config.name}.demo"
        if find_spec(name) is not None:
            modules.append(importlib.import_module(name))
    return modules


class Command(BaseCommand):
    help = gettext_lazy(
        "Load demo data: the real cat-mall category tree and phones, generated products and "
        "SKUs, and the demo users. Skips data that is already there unless --reset is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            choices=COMMAND_SCALES,
            default="small",
            help=gettext_lazy(
                "How many generated SKUs: small about 2,000, medium 20,000, large 100,000."
            ),
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=42,
            help=gettext_lazy("Random seed; the same seed gives the same data."),
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help=gettext_lazy(
                "Delete the existing catalog (and the data of apps built on it) first."
            ),
        )

    def handle(self, *args, scale, seed, reset, **options):
        started = time.monotonic()
        modules = demo_modules()
        try:
            demo_data_paths()  # before --reset deletes anything
            with transaction.atomic():
                if reset:
                    for module in reversed(modules):
                        if hasattr(module, "demo_reset"):
                            module.demo_reset()
                    self.stdout.write(_("Existing demo data deleted."))
                counts: dict[str, int] = {}
                for module in (m for m in modules if hasattr(m, "demo_seed")):
                    for key, value in module.demo_seed(
                        scale=scale, seed=seed, stdout=self.stdout
                    ).items():
                        counts[key] = counts.get(key, 0) + value
        except DemoDataMissing as exc:
            raise CommandError(str(exc)) from exc

        if any(counts.values()):
            summary = ", ".join(f"{key} {value:,}" for key, value in counts.items())
            self.stdout.write(
                self.style.SUCCESS(
                    _("Demo data loaded in %(seconds).1f s: %(summary)s.")
                    % {"seconds": time.monotonic() - started, "summary": summary}
                )
            )
        self.stdout.write(_("Demo logins:"))
        for module in (m for m in modules if hasattr(m, "demo_logins")):
            for login in module.demo_logins():
                self.stdout.write(f"  {login.username:<14} {login.description}")
        if settings.DEMO_PASSWORD == "jingxi-demo":
            password = _("Password: %(password)s") % {"password": settings.DEMO_PASSWORD}
        else:
            password = _("Password: the value of JINGXI_DEMO_PASSWORD")
        self.stdout.write(
            "  " + password + " " + _("(a user that existed before keeps its own password).")
        )
