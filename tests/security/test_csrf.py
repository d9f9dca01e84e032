"""CSRF on every POST: each URL of the walk, posted without a token by a logged-in manager
and by a superuser (and by a visitor to the public forms), is refused with 403."""

from django.contrib.auth.models import User
from django.test import Client


def test_every_post_without_a_csrf_token_is_refused(world, db, urls):
    problems = []
    for who in (world.users["manager"], User.objects.get(username="root"), None):
        client = Client(enforce_csrf_checks=True, raise_request_exception=False)
        if who is not None:
            client.force_login(who)
        for url in urls:
            response = client.post(url.path, {"name": "x", "q": "x"})
            if response.status_code != 403 and not (
                who is None and response.status_code == 302  # sent to log in first
            ):
                problems.append(f"{who}: POST {url.path} ({url.name}): {response.status_code}")
    assert not problems, "\n".join(problems)


def test_a_post_with_the_token_passes_the_check(world, db):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["manager"])
    page = client.get("/accounts/password/")
    token = page.context["csrf_token"]
    response = client.post("/accounts/password/", {"csrfmiddlewaretoken": str(token)})
    assert response.status_code == 200  # the form's own errors, past the CSRF check
