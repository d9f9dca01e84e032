from django.urls import path

from inventory import views

app_name = "inventory"

urlpatterns = [
    path("stock/", views.stock_overview, name="stock_overview"),
    path("low-stock/", views.low_stock, name="low_stock"),
    path("pick-list/", views.pick_list, name="pick_list"),
]
