"""Cache-Control on what logged-in users are shown, and anonymous visitors sent to the login."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.staff.support import role_users

NO_STORE = "no-store, private"


@pytest.fixture
def users(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return role_users()


def client_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("finance", "/"),  # a dashboard with costs and margins
        ("manager", "/roles/"),
        ("purchaser", "/purchasing/restock/"),
        ("finance", "/admin/catalog/sku/"),
        ("support", "/orders/"),
        ("merchandiser", "/admin/catalog/sku/export/?format=xlsx"),
    ],
)
def test_every_response_to_a_logged_in_user_is_no_store(users, role, path):
    response = client_as(users[role]).get(path)
    assert response.status_code in (200, 302), (path, response.status_code)
    assert response["Cache-Control"] == NO_STORE
    assert "Cookie" in response["Vary"]


def test_downloads_and_json_of_a_logged_in_user_are_no_store(users, tmp_path):
    """An xlsx export, a CSV answer and JSON: files are cached as readily as pages."""
    from django.http import FileResponse, HttpResponse, JsonResponse

    from config.middleware import NoStoreForUsersMiddleware

    class Request:
        user = users["finance"]

    workbook = tmp_path / "costs.xlsx"
    workbook.write_bytes(b"PK")
    public = {"Cache-Control": "public, max-age=3600"}
    for answer in (
        FileResponse(workbook.open("rb"), as_attachment=True, headers=public),
        HttpResponse("sku,cost\nS-1,987.65\n", content_type="text/csv", headers=public),
        JsonResponse({"cost": "987.65"}),
    ):
        response = NoStoreForUsersMiddleware(lambda request, answer=answer: answer)(Request())
        assert response["Cache-Control"] == NO_STORE
        if isinstance(answer, FileResponse):
            answer.close()


def test_the_workbook_export_download_is_no_store(users):
    response = client_as(users["finance"]).post(
        "/admin/catalog/sku/export/", {"format": "xlsx", "headers": "en"}
    )
    assert response.status_code == 200, response.content[:300]
    assert "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == NO_STORE


def test_responses_to_anonymous_visitors_keep_their_own_cache_control():
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse

    from config.middleware import NoStoreForUsersMiddleware

    class Request:
        user = AnonymousUser()

    answer = HttpResponse("public", headers={"Cache-Control": "public, max-age=60"})
    response = NoStoreForUsersMiddleware(lambda request: answer)(Request())
    assert response["Cache-Control"] == "public, max-age=60"


def test_static_files_are_not_marked_no_store(users, settings):
    # WhiteNoise answers static files before the session and the user are looked at.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    response = client_as(users["finance"]).get("/static/css/jingxi.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    response.close()


def _staff_page_paths() -> list[str]:
    """Every URL of the app outside the admin, the login and the health page, ids filled in."""
    paths = []

    def walk(patterns, prefix=""):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern):
                paths.append(route)

    walk(get_resolver().url_patterns)
    skip = ("admin/", "accounts/", "i18n/", "healthz", "static/", "media/")
    filled = [
        "/" + path.replace("<int:pk>", "1").replace("<str:action>", "pay")
        for path in paths
        if not path.startswith(skip)
    ]
    return sorted(filled)


def test_the_walk_finds_the_staff_pages():
    paths = _staff_page_paths()
    assert {"/", "/roles/", "/orders/", "/orders/1/pack/", "/purchasing/restock/"} <= set(paths)


@pytest.mark.parametrize("path", _staff_page_paths())
def test_an_anonymous_visitor_is_sent_to_the_login_page(db, path):
    response = Client().get(path)
    login = reverse("login")
    assert response.status_code == 302, (path, response.status_code)
    assert response["Location"].startswith(f"{login}?next="), path
