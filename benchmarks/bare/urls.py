from django.urls import path

from benchmarks.bare.views import ProductDetailApi, ProductListApi

urlpatterns = [
    path("products/", ProductListApi.as_view()),
    path("products/<int:pk>/", ProductDetailApi.as_view()),
]
