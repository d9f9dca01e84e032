from django.urls import path

from finance.views import prices

app_name = "finance"

urlpatterns: list = [
    path("prices/", prices.price_history, name="prices"),
]
