"""Login, logout and password change: throttled failed logins (django-axes), CSRF on every
form, and a session cookie scripts cannot read."""

import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests.staff.support import PASSWORD

pytestmark = pytest.mark.django_db

LOCKED_OUT = "Too many failed logins"


def log_in(client: Client, username: str, password: str, url: str | None = None):
    return client.post(url or reverse("login"), {"username": username, "password": password})


def fail_until_locked(client: Client, username: str) -> list[int]:
    return [
        log_in(client, username, "wrong-password").status_code
        for _attempt in range(django_settings.AXES_FAILURE_LIMIT)
    ]


# --- Logging in ---------------------------------------------------------------------------


def test_the_right_password_logs_in_and_a_wrong_one_says_so(users):
    client = Client()
    wrong = log_in(client, "warehouse", "wrong-password")
    assert wrong.status_code == 200
    assert "Please enter a correct username and password" in wrong.content.decode()
    right = log_in(client, "warehouse", PASSWORD)
    assert right.status_code == 302
    assert right["Location"] == reverse("staff:dashboard")


def test_repeated_failures_lock_the_account_even_against_the_right_password(users):
    client = Client()
    statuses = fail_until_locked(client, "warehouse")
    assert statuses[:-1] == [200] * (django_settings.AXES_FAILURE_LIMIT - 1)

    refused = log_in(client, "warehouse", PASSWORD)
    assert refused.status_code in (403, 429)
    assert LOCKED_OUT in refused.content.decode()
    assert "_auth_user_id" not in client.session
    # The admin's own login form is throttled by the same rule.
    admin_refused = log_in(client, "warehouse", PASSWORD, reverse("admin:login"))
    assert admin_refused.status_code in (403, 429)


def test_a_locked_account_does_not_lock_the_others(users):
    fail_until_locked(Client(), "warehouse")
    other = log_in(Client(), "support", PASSWORD)
    assert other.status_code == 302
    assert other["Location"] == reverse("staff:dashboard")


def test_the_manager_unlocks_an_account_by_deleting_its_access_attempts(users, client_as):
    fail_until_locked(Client(), "warehouse")
    attempt = AccessAttempt.objects.get(username="warehouse")
    manager = client_as("manager")
    url = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert manager.post(url, {"post": "yes"}).status_code == 302
    assert not AccessAttempt.objects.filter(username="warehouse").exists()
    assert log_in(Client(), "warehouse", PASSWORD).status_code == 302


def test_only_the_manager_sees_the_access_attempts(users, client_as):
    fail_until_locked(Client(), "warehouse")
    url = reverse("admin:axes_accessattempt_changelist")
    assert client_as("manager").get(url).status_code == 200
    assert client_as("warehouse").get(url).status_code == 403


# --- Logging out --------------------------------------------------------------------------


def test_logout_is_a_post_and_ends_the_session(client_as):
    client = client_as("support")
    assert client.get(reverse("logout")).status_code == 405
    assert client.get(reverse("staff:dashboard")).status_code == 200

    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    after = client.get(reverse("staff:dashboard"))
    assert after.status_code == 302
    assert after["Location"].startswith(reverse("login"))


def test_every_page_offers_logout_as_a_form_post(client_as):
    body = client_as("support").get(reverse("staff:dashboard")).content.decode()
    assert re.search(r'<form method="post" action="/accounts/logout/">', body)


# --- Changing the password ----------------------------------------------------------------


def change_password(client: Client, old: str, new: str):
    return client.post(
        reverse("password_change"),
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


def test_password_change_needs_the_old_password(client_as):
    client = client_as("finance")
    assert client.get(reverse("password_change")).status_code == 200
    response = change_password(client, "not-the-old-one", "Brand-new-Pw-2024")
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()
    assert User.objects.get(username="finance").check_password(PASSWORD)


def test_password_change_keeps_the_session_and_the_new_password_logs_in(client_as):
    client = client_as("finance")
    response = change_password(client, PASSWORD, "Brand-new-Pw-2024")
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    assert client.get(reverse("password_change_done")).status_code == 200
    assert client.get(reverse("staff:dashboard")).status_code == 200  # still logged in

    assert log_in(Client(), "finance", PASSWORD).status_code == 200  # refused
    assert log_in(Client(), "finance", "Brand-new-Pw-2024").status_code == 302


def test_password_change_applies_the_password_rules(client_as):
    response = change_password(client_as("finance"), PASSWORD, "12345678")
    assert response.status_code == 200
    assert "This password is too common" in response.content.decode()


def test_the_password_pages_are_behind_login(db):
    response = Client().get(reverse("password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- Cookies and CSRF ---------------------------------------------------------------------


def test_the_session_cookie_is_http_only_and_same_site(users):
    response = log_in(Client(), "warehouse", PASSWORD)
    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_the_login_form_needs_its_csrf_token(users):
    client = Client(enforce_csrf_checks=True)
    assert log_in(client, "warehouse", PASSWORD).status_code == 403

    page = client.get(reverse("login"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    response = client.post(
        reverse("login"),
        {"username": "warehouse", "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


def test_logout_and_password_change_need_a_csrf_token(users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["warehouse"])
    assert client.post(reverse("logout")).status_code == 403
    assert change_password(client, PASSWORD, "Brand-new-Pw-2024").status_code == 403
    assert client.get(reverse("staff:dashboard")).status_code == 200
