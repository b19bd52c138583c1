"""The whole site (config.urls) plus the bare baseline views under /bench/baseline/: mounted
only by benchmarks.settings, for the benchmark run, never in production."""

from django.urls import include, path

from benchmarks import baseline

urlpatterns = [
    path("bench/baseline/products/", baseline.product_list, name="bench-baseline-products"),
    path(
        "bench/baseline/products/<int:pk>/",
        baseline.product_detail,
        name="bench-baseline-product",
    ),
    path("bench/baseline/checkout/", baseline.checkout, name="bench-baseline-checkout"),
    path("", include("config.urls")),
]

handler404 = "core.views.not_found"
handler500 = "core.views.server_error"
