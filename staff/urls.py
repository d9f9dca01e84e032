from django.urls import path

from staff import views

app_name = "staff"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("roles/", views.role_matrix, name="role_matrix"),
    path("reports/<int:pk>/file/", views.report_run_file, name="report_run_file"),
]
