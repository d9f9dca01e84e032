from django.urls import path

from staff import product_views, report_views, shelf_views, views

app_name = "staff"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("roles/", views.role_matrix, name="role_matrix"),
    path("products/flow/", product_views.product_flow_board, name="product_flow"),
    path("products/search/", product_views.product_search, name="product_search"),
    path("products/<int:pk>/", product_views.product, name="product"),
    path("shelf/", shelf_views.shelf_page, name="shelf"),
    path("shelf/plan.json", shelf_views.shelf_plan_json, name="shelf_plan_json"),
    path("shelf/pins/", shelf_views.shelf_pin, name="shelf_pin"),
    path("shelf/pins/<int:pk>/delete/", shelf_views.shelf_unpin, name="shelf_unpin"),
    path("reports/<int:pk>/file/", views.report_run_file, name="report_run_file"),
    path(
        "reports/runs/<int:pk>/progress/",
        report_views.report_run_progress,
        name="report_run_progress",
    ),
    path("reports/<str:kind>/", report_views.report_page, name="report"),
    path("reports/<str:kind>/run/", report_views.report_run_now, name="report_run_now"),
]
