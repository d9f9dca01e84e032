from django.urls import path

from purchasing import views

app_name = "purchasing"

urlpatterns = [
    path("orders/<int:pk>/", views.order, name="order"),
    path("orders/<int:pk>/receive/", views.receive, name="receive"),
    path("suppliers/<int:pk>/", views.supplier, name="supplier"),
    path("restock/", views.restock, name="restock"),
    path("candidates/", views.candidates, name="candidates"),
    path("choice/", views.choice, name="choice"),
]
