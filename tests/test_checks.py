"""The development SECRET_KEY is refused wherever the site would be served with DEBUG off."""

import os
import subprocess
import sys
from pathlib import Path

from django.core import checks

from config.checks import secret_key_errors

ROOT = Path(__file__).resolve().parents[1]


def test_the_deploy_check_refuses_the_development_key_with_debug_off(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = settings.DEVELOPMENT_SECRET_KEY
    errors = checks.run_checks(include_deployment_checks=True, tags=[checks.Tags.security])
    assert "jingxi.E001" in [error.id for error in errors]


def test_the_development_key_is_fine_in_debug_and_a_real_key_everywhere(settings):
    settings.SECRET_KEY = settings.DEVELOPMENT_SECRET_KEY
    settings.DEBUG = True
    assert secret_key_errors() == []
    settings.DEBUG = False
    settings.SECRET_KEY = "x" * 60
    assert secret_key_errors() == []


def _import_wsgi(**overrides: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}} | overrides
    return subprocess.run(
        [sys.executable, "-c", "import config.wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_wsgi_application_will_not_start_with_the_development_key_and_debug_off():
    refused = _import_wsgi(DEBUG="false")
    assert refused.returncode != 0
    assert "SECRET_KEY is the development default while DEBUG is off" in refused.stderr

    assert _import_wsgi(DEBUG="false", SECRET_KEY="s" * 60).returncode == 0
    assert _import_wsgi(DEBUG="true").returncode == 0
