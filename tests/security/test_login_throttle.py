"""Login throttling (django-axes) end to end, and ``next=`` that never leaves the site."""

import datetime as dt
import time
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from tests.staff.support import PASSWORD

pytestmark = pytest.mark.django_db

LOCKED_OUT = "Too many failed logins"


def log_in(client, username, password, url=None):
    return client.post(url or reverse("login"), {"username": username, "password": password})


def test_failed_logins_lock_the_account_then_the_cool_off_lifts_it(users, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = dt.timedelta(seconds=2)
    client = Client()
    statuses = [log_in(client, "finance", "wrong").status_code for _n in range(3)]
    assert statuses[:2] == [200, 200]
    locked = log_in(client, "finance", PASSWORD)
    assert locked.status_code in (403, 429) and LOCKED_OUT in locked.content.decode()
    assert "_auth_user_id" not in client.session
    time.sleep(2.2)
    after = log_in(client, "finance", PASSWORD)
    assert after.status_code == 302 and after["Location"] == reverse("staff:dashboard")


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http://testserver@evil.example/",
        "https:evil.example",
    ],
)
@pytest.mark.parametrize("login_url", ["login", "admin:login"])
def test_next_never_sends_a_fresh_login_off_the_site(users, target, login_url):
    client = Client()
    url = reverse(login_url) + "?" + "next=" + target
    response = client.post(url, {"username": "manager", "password": PASSWORD, "next": target})
    assert response.status_code == 302
    parts = urlsplit(response["Location"])
    assert parts.netloc in ("", "testserver") and parts.scheme in ("", "http")
    assert response["Location"].startswith("/") and not response["Location"].startswith("//")
    assert "evil" not in response["Location"] and "javascript" not in response["Location"]


def test_next_within_the_site_is_followed(users):
    response = Client().post(
        reverse("login") + "?next=/orders/",
        {"username": "manager", "password": PASSWORD, "next": "/orders/"},
    )
    assert response.status_code == 302 and response["Location"] == "/orders/"
