from django.urls import path

from orders import segment_views, views

app_name = "orders"

urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("new/", views.order_new, name="order_new"),
    path("reviews/", views.reviews, name="reviews"),
    path("<int:pk>/", views.order_detail, name="order_detail"),
    path("<int:pk>/pack/", views.pack, name="pack"),
    path("<int:pk>/return/", views.order_return, name="order_return"),
    path("<int:pk>/<str:action>/", views.order_action, name="order_action"),
    path("listings/unmatched/", views.listings_unmatched, name="listings_unmatched"),
    path("listings/<int:pk>/resolve/", views.listing_resolve, name="listing_resolve"),
    path("inquiries/", views.inquiries, name="inquiries"),
    path("waves/", views.waves, name="waves"),
    path("promotions/", views.promotions, name="promotions"),
    path("promotions/<int:pk>/", views.promotion_detail, name="promotion_detail"),
    path("logistics-errors/", views.logistics_errors, name="logistics_errors"),
    path("customers/segments/", segment_views.customer_segments, name="customer_segments"),
    path(
        "customers/segments/xlsx/",
        segment_views.customer_segments_xlsx,
        name="customer_segments_xlsx",
    ),
]
