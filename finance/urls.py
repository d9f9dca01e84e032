from django.urls import path  # noqa: F401 - the pages are added by concern below

app_name = "finance"

urlpatterns: list = []
