from django.urls import path

from payments import pages

app_name = "payments"
urlpatterns = [
    path("payments/sandbox/<uuid:token>/", pages.sandbox, name="sandbox"),
]
