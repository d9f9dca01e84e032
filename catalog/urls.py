from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("attributes/", views.attribute_tree, name="attribute_tree"),
    path("attributes/<int:pk>/", views.attribute_table, name="attribute_table"),
]
