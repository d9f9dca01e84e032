from django.urls import path

from orders import views

app_name = "orders"

urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("new/", views.order_new, name="order_new"),
    path("<int:pk>/", views.order_detail, name="order_detail"),
    path("<int:pk>/pack/", views.pack, name="pack"),
    path("<int:pk>/return/", views.order_return, name="order_return"),
    path("<int:pk>/<str:action>/", views.order_action, name="order_action"),
    path("listings/unmatched/", views.listings_unmatched, name="listings_unmatched"),
    path("listings/<int:pk>/resolve/", views.listing_resolve, name="listing_resolve"),
    path("waves/", views.waves, name="waves"),
    path("promotions/", views.promotions, name="promotions"),
    path("promotions/<int:pk>/", views.promotion_detail, name="promotion_detail"),
    path("logistics-errors/", views.logistics_errors, name="logistics_errors"),
]
