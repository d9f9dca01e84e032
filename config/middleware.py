"""Project-wide middleware."""

from django.utils.cache import patch_vary_headers

NO_STORE = "no-store, private"


class NoStoreForUsersMiddleware:
    """Keep every response to a logged-in user out of browser and proxy caches.

    Pages, JSON, CSV and workbook downloads shown to staff carry prices, costs, margins and
    stock: none of it may be kept by a shared proxy or left in the browser's cache for the next
    person at the desk. Static files never reach this middleware (WhiteNoise answers them
    first), so they stay cacheable.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response["Cache-Control"] = NO_STORE
            patch_vary_headers(response, ["Cookie"])
        return response
