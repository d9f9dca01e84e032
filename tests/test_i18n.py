"""Chinese first: every label has a zh-hans translation, compiled, and pages use it."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import SKUFactory
from tests.sqlite import child_env

PO = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
# Jingxi's own apps (every installed app that lives in the project) and the shared sources.
SOURCES = (
    *(app for app in settings.INSTALLED_APPS if (Path(settings.BASE_DIR) / app).is_dir()),
    "config",
    "templates",
    "manage.py",
)


def _untranslated(po: polib.POFile) -> list[str]:
    return [e.msgid for e in po if not e.obsolete and (not e.translated() or e.fuzzy)]


def test_zh_hans_catalogue_is_complete_and_compiled():
    po = polib.pofile(str(PO))
    assert _untranslated(po) == []
    mo = polib.mofile(str(PO.with_suffix(".mo")))
    compiled = {e.msgid: e.msgstr for e in mo}
    stale = [e.msgid for e in po if not e.msgid_plural and compiled.get(e.msgid) != e.msgstr]
    assert stale == [], "run `make compilemessages`"


def test_every_label_in_the_code_has_a_zh_hans_translation(tmp_path):
    """Extract the messages afresh from a copy of the sources: nothing may be missing."""
    for name in SOURCES:
        source = Path(settings.BASE_DIR) / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)
    (tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(PO, tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete", "-v0"],
        cwd=tmp_path,
        check=True,
        env=child_env(DJANGO_SETTINGS_MODULE="config.settings"),
    )
    fresh = polib.pofile(str(tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    assert _untranslated(fresh) == [], "run `make messages` and translate the new entries"


@pytest.mark.django_db
def test_admin_speaks_chinese_by_default_and_english_on_request(admin_client, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    SKUFactory()
    url = reverse("admin:catalog_sku_changelist")
    chinese = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    english = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "销售价" in chinese and "商品资料" in chinese
    assert "retail price" in english.lower()
