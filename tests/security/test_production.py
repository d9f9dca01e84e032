"""The production profile: `check --deploy` clean, secure defaults with DEBUG off, gunicorn and
WhiteNoise serving the collected static files, and error pages that never show a trace."""

import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.sqlite import child_env

ROOT = Path(__file__).resolve().parents[2]
MANIFEST_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"

# The README's production profile.
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "p" * 20 + "-production-key-of-fifty-random-chars-9f3k2",
    "ALLOWED_HOSTS": "jingxi.example.com,127.0.0.1",
    "CSRF_TRUSTED_ORIGINS": "https://jingxi.example.com",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "TRUST_X_FORWARDED_PROTO": "true",
    "STATICFILES_STORAGE": MANIFEST_STORAGE,
}
# Variables a developer's shell may set that the profile decides instead.
PROFILE_VARIABLES = ("SECURE_COOKIES", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS")


def manage(*args: str, **environment: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in child_env(**environment).items() if k not in PROFILE_VARIABLES}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_deploy_reports_nothing_with_the_production_profile():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_names_the_ssl_redirect_when_the_profile_leaves_it_out():
    profile = PRODUCTION | {"SECURE_SSL_REDIRECT": "false"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", **profile)
    assert result.returncode != 0
    assert "security.W008" in result.stderr
    assert "security.W004" not in result.stderr  # HSTS
    assert "security.W012" not in result.stderr  # session cookie
    assert "security.W016" not in result.stderr  # CSRF cookie


SHOW_SECURITY = (
    "from django.conf import settings as s; import json; print(json.dumps(["
    "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS,"
    " s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT]))"
)


def test_cookies_and_hsts_are_secure_by_default_with_debug_off_and_off_for_make_run():
    production = manage(
        "shell", "--no-imports", "-c", SHOW_SECURITY, DEBUG="false", SECRET_KEY="k" * 60
    )
    development = manage("shell", "--no-imports", "-c", SHOW_SECURITY, DEBUG="true")
    assert json.loads(production.stdout) == [True, True, 31536000, True, False]
    assert json.loads(development.stdout) == [False, False, 0, False, False]


# --- gunicorn + WhiteNoise, as in docker-compose ------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, **headers: str):
    """Return (status, headers, body) without following redirects."""
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture
def served(db, tmp_path):
    """gunicorn serving the production profile, static files collected with the manifest
    storage into a temporary STATIC_ROOT; yield its base URL."""
    database = django_settings.DATABASES["default"]
    environment = PRODUCTION | {
        "STATIC_ROOT": str(tmp_path / "static"),
        "DATABASE_URL": "postgres://{USER}:{PASSWORD}@{HOST}:{PORT}/{NAME}".format(**database),
        "WEB_CONCURRENCY": "1",
    }
    collected = manage("collectstatic", "--noinput", **environment)
    assert collected.returncode == 0, collected.stderr
    port = _free_port()
    env = child_env(**environment, GUNICORN_BIND=f"127.0.0.1:{port}")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                fetch(f"{base}/healthz")
                break
            except OSError:
                time.sleep(0.1)
        yield base, tmp_path / "static"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_gunicorn_and_whitenoise_serve_the_production_profile(served):
    base, static_root = served
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    hashed_css = manifest["css/jingxi.css"]
    assert hashed_css != "css/jingxi.css"
    assert (static_root / f"{hashed_css}.gz").exists()
    assert "js/jingxi.js" in manifest

    https = {"X-Forwarded-Proto": "https", "Host": "jingxi.example.com"}
    # Plain HTTP is sent to HTTPS; the health page answers on either.
    status, headers, _ = fetch(f"{base}/accounts/login/", Host="jingxi.example.com")
    assert status == 301
    assert headers["Location"] == "https://jingxi.example.com/accounts/login/"
    status, _, body = fetch(f"{base}/healthz", Host="jingxi.example.com")
    assert (status, json.loads(body)["checks"]["database"]["status"]) == (200, "ok")

    status, headers, body = fetch(f"{base}/accounts/login/", **https)
    assert status == 200
    assert headers["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert f'/static/{hashed_css}"' in body.decode()
    assert "; secure" in headers["Set-Cookie"].lower()  # the CSRF cookie of the login form

    status, headers, body = fetch(
        f"{base}/static/{hashed_css}", **https, **{"Accept-Encoding": "gzip"}
    )
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert "immutable" in headers["Cache-Control"]
    assert "no-store" not in headers["Cache-Control"]


# --- Error pages: never a stack trace -----------------------------------------------------

TRACE_MARKS = ("Traceback", "ZeroDivisionError", "secret-detail-of-the-failure", ".py")


@pytest.fixture
def failing_site(settings):
    settings.ROOT_URLCONF = "tests.security.failing_urls"
    settings.DEBUG = False
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False


def test_a_failing_view_answers_the_friendly_500_page_without_reading_the_database(failing_site):
    # No database fixture: a query while rendering the page would fail this test.
    response = Client(raise_request_exception=False).get("/fails/")
    body = response.content.decode()
    assert response.status_code == 500
    assert "Server error (500)" in body
    assert "Nothing you sent is lost" in body
    assert not [mark for mark in TRACE_MARKS if mark in body]


def test_the_500_page_is_chinese_for_a_chinese_browser(failing_site):
    response = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="zh-hans").get("/fails/")
    body = response.content.decode()
    assert response.status_code == 500
    assert "服务器出错 (500)" in body
    assert not [mark for mark in TRACE_MARKS if mark in body]


def test_not_found_forbidden_bad_request_and_expired_form_pages(failing_site, client, db):
    from tests.staff.support import role_users

    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found (404)" in response.content.decode()

    client.force_login(role_users()["warehouse"])
    response = client.get("/roles/")  # the role matrix is the manager's
    assert response.status_code == 403
    assert "Access denied (403)" in response.content.decode()

    response = Client(HTTP_HOST="evil.example.com").get("/accounts/login/")
    assert response.status_code == 400
    assert "Bad request (400)" in response.content.decode()

    response = Client(enforce_csrf_checks=True).post(
        "/accounts/login/", {"username": "x", "password": "y"}
    )
    assert response.status_code == 403
    body = response.content.decode()
    assert "The form has expired (403)" in body
    assert "CSRF" not in body  # the reason is logged, not shown


# --- docker-compose and the image -----------------------------------------------------------


def test_docker_compose_runs_gunicorn_worker_and_beat_and_requires_a_secret_key():
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "db", "redis", "mail"} <= set(services)
    assert "gunicorn -c config/gunicorn.py config.wsgi:application" in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A config worker")
    assert services["beat"]["command"].startswith("celery -A config beat")
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        # ${VAR:?message}: compose refuses to start without it; no default key ships.
        assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?")
        assert environment["DEBUG"] == "false"
        assert environment["STATICFILES_STORAGE"] == MANIFEST_STORAGE
    assert "healthz" in " ".join(services["web"]["healthcheck"]["test"])


def test_the_image_collects_static_files_with_the_manifest_storage_and_serves_with_gunicorn():
    dockerfile = (ROOT / "Dockerfile").read_text()
    storage = dockerfile.index(f"ENV STATICFILES_STORAGE={MANIFEST_STORAGE}")
    assert storage < dockerfile.index("collectstatic --noinput")
    assert not re.search(r"^(ENV|ARG)\s.*SECRET_KEY", dockerfile, re.MULTILINE)
    assert 'CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi:application"]' in dockerfile
