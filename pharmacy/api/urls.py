from django.urls import path  # noqa: F401

app_name = "pharmacy_api"
urlpatterns: list = []
