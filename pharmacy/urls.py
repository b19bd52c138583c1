from django.urls import path

from pharmacy import views

app_name = "pharmacy"
urlpatterns = [
    path("shop/", views.catalog, name="catalog"),
    path("shop/products/<int:pk>/", views.product_detail, name="product-detail"),
    path("shop/cart/", views.cart, name="cart"),
    path("shop/checkout/", views.checkout, name="checkout"),
    path("shop/orders/", views.order_list, name="order-list"),
    path("shop/orders/<int:pk>/", views.order_detail, name="order-detail"),
    path("shop/orders/<int:pk>/pay/", views.order_pay, name="order-pay"),
    path("shop/orders/<int:pk>/cancel/", views.order_cancel, name="order-cancel"),
    path("pharmacist/dispensing/", views.dispensing_queue, name="dispensing-queue"),
    path("pharmacist/dispensing/<int:pk>/", views.dispense, name="dispense"),
]
