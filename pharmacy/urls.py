from django.urls import path

from pharmacy import pages

app_name = "pharmacy"
urlpatterns = [
    path("shop/", pages.catalog, name="catalog"),
    path("shop/products/<int:pk>/", pages.product_detail, name="product-detail"),
    path("shop/cart/", pages.cart, name="cart"),
    path("shop/checkout/", pages.checkout, name="checkout"),
    path("shop/orders/", pages.order_list, name="order-list"),
    path("shop/orders/<int:pk>/", pages.order_detail, name="order-detail"),
    path("shop/orders/<int:pk>/pay/", pages.order_pay, name="order-pay"),
    path("shop/orders/<int:pk>/cancel/", pages.order_cancel, name="order-cancel"),
    path("shop/orders/<int:pk>/complaint/", pages.order_complaint, name="order-complaint"),
    path(
        "shop/cart/from-prescription/<int:prescription_id>/",
        pages.cart_fill_from_prescription,
        name="cart-from-prescription",
    ),
    # Printed as the QR code on each medicine box: keep it short and stable.
    path("box/<slug:code>/", pages.medicine_box, name="medicine-box"),
    path("pharmacist/dispensing/", pages.dispensing_queue, name="dispensing-queue"),
    path("pharmacist/dispensing/<int:pk>/", pages.dispense, name="dispense"),
]
