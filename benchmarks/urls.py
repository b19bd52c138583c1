"""The whole site (config.urls) plus the bare baseline views under /bench/baseline/."""

from django.urls import include, path

from benchmarks import baseline

urlpatterns = [
    path("bench/baseline/products/", baseline.product_list, name="bench-baseline-products"),
    path(
        "bench/baseline/products/<int:pk>/",
        baseline.product_detail,
        name="bench-baseline-product",
    ),
    path("", include("config.urls")),
]

handler404 = "core.views.not_found"
handler500 = "core.views.server_error"
