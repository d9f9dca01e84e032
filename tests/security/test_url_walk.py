"""The URL walk: every URL the resolver knows (the admin's included), filled with ids of the
staff world, requested by an anonymous visitor and by every role, with GET and with an empty
POST (CSRF is tested on its own in test_csrf.py).

Never a 5xx; never a redirect off the site. What the matrix allows a role opens (200, or a
redirect within the site); the rest answers 403 or sends to a login page. A URL added later
is walked automatically; one whose parameters cannot be filled fails the walk
(``tests/security/urls.py`` says what to add).
"""

from urllib.parse import urlsplit

import pytest
from django.test import Client

from staff.roles import Role
from tests.security.urls import ANONYMOUS, MISSING, Url

ROLES = list(Role.values)
LOGIN_PATHS = {"/accounts/login/", "/admin/login/"}
LOGOUTS = {"logout", "admin:logout"}


def location(response) -> str:
    return response.get("Location", "")


def is_same_site(response) -> bool:
    parts = urlsplit(location(response))
    return parts.scheme in ("", "http") and parts.netloc in ("", "testserver")


def is_denied(response) -> bool:
    if response.status_code in (403, 405):
        return True
    return response.status_code == 302 and urlsplit(location(response)).path in LOGIN_PATHS


def judge(client: Client, url: Url, role: str, method: str) -> str | None:
    """Return what is wrong with ``role``'s ``method`` on ``url``, or None."""
    response = getattr(client, method)(url.path)
    status = response.status_code
    if status >= 500:
        return f"answered {status}"
    if status in (301, 302, 303, 307, 308) and not is_same_site(response):
        return f"redirects off the site to {location(response)}"
    allowed = url.allowed.get(role)
    if allowed is None:
        return None
    if not allowed:
        if is_denied(response) or (url.not_found_denies and status == 404):
            return None
        if url.redirect_only and status == 302:
            followed = client.get(location(response))
            if is_denied(followed):
                return None
        return f"not allowed, answered {status} {location(response)}"
    if method == "post":
        return None  # an empty form may be refused (403 for a view-only role) or re-shown
    if status == 200 or (status == 302 and not is_denied(response)):
        return None
    if status == 404 and MISSING in url.path:
        return None  # a job id that does not exist, on a page the role may open
    if status == 405 or (url.post_only and status == 403):
        return None  # a POST-only step: a GET opens nothing
    return f"allowed, answered {status} {location(response)}"


def test_the_walk_covers_every_url_pattern_the_resolver_knows(urls):
    names = {url.name for url in urls}
    assert {"orders:order_action", "admin:catalog_sku_change", "admin:autocomplete"} <= names
    assert len(urls) > 200


@pytest.mark.parametrize("role", [ANONYMOUS, *ROLES])
def test_every_url_answers_every_role_as_the_matrix_says_and_never_fails(
    world, db, urls, role, world_report_file
):
    client = Client(raise_request_exception=False)

    def log_in():
        if role != ANONYMOUS:
            client.force_login(world.users[role])

    log_in()
    problems = []
    for url in urls:
        for method in ("get", "post"):
            problem = judge(client, url, role, method)
            if problem:
                problems.append(f"{method.upper()} {url.path} ({url.name}): {problem}")
            if url.name in LOGOUTS:
                log_in()
    assert not problems, f"{role}:\n" + "\n".join(problems)
