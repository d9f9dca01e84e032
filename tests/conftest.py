"""Shared fixtures: the suite runs on the real PostgreSQL (``DATABASE_URL``) and Redis."""

import pytest
from django.conf import settings as django_settings
from django.utils import translation


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    """Keep uploaded files of a test in its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _english(settings):
    """Assert against English messages unless a test switches language itself."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def pytest_report_header(config):
    db = django_settings.DATABASES["default"]
    return f"database: {db['ENGINE']} {db.get('HOST')}:{db.get('PORT')}/{db.get('NAME')}"
