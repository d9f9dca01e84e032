"""The site's URLs plus one view that fails, for the error page tests."""

from django.urls import path

from config.urls import urlpatterns as site_urlpatterns


def failing_view(request):
    raise ZeroDivisionError("secret-detail-of-the-failure")


urlpatterns = [*site_urlpatterns, path("fails/", failing_view)]
