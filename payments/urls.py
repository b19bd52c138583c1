from django.urls import path

from payments import views

app_name = "payments"
urlpatterns = [
    path("payments/sandbox/<uuid:token>/", views.sandbox, name="sandbox"),
]
