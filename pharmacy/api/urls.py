from django.urls import path

from pharmacy.api import views

app_name = "pharmacy_api"
urlpatterns = [
    path("categories/", views.CategoryListApi.as_view(), name="category-list"),
    path("products/", views.ProductListApi.as_view(), name="product-list"),
    path("products/<int:pk>/", views.ProductDetailApi.as_view(), name="product-detail"),
    path("cart/", views.CartApi.as_view(), name="cart"),
    path("cart/lines/", views.CartLineCreateApi.as_view(), name="cart-line-create"),
    path("cart/lines/<int:pk>/", views.CartLineDetailApi.as_view(), name="cart-line-detail"),
    path("checkout/", views.CheckoutApi.as_view(), name="checkout"),
    path("orders/", views.OrderListApi.as_view(), name="order-list"),
    path("orders/<int:pk>/", views.OrderDetailApi.as_view(), name="order-detail"),
    path("orders/<int:pk>/pay/", views.OrderPayApi.as_view(), name="order-pay"),
    path("orders/<int:pk>/cancel/", views.OrderCancelApi.as_view(), name="order-cancel"),
    path("orders/<int:pk>/tracking/", views.OrderTrackingApi.as_view(), name="order-tracking"),
    path("orders/<int:pk>/returns/", views.OrderReturnApi.as_view(), name="order-return"),
    path("orders/<int:pk>/complaints/", views.OrderComplaintApi.as_view(), name="order-complaint"),
    path("orders/<int:pk>/dispense/", views.OrderDispenseApi.as_view(), name="order-dispense"),
    path("medicine-boxes/<slug:code>/", views.MedicineBoxDetailApi.as_view(), name="medicine-box"),
    path(
        "medicine-boxes/<slug:code>/orders/",
        views.MedicineBoxOrderCreateApi.as_view(),
        name="medicine-box-order-create",
    ),
    path("dispensing-queue/", views.DispensingQueueApi.as_view(), name="dispensing-queue"),
]
