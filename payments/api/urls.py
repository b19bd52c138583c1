from django.urls import path

from payments.api import views

app_name = "payments_api"
urlpatterns = [
    path(
        "payments/webhooks/<slug:provider>/",
        views.PaymentWebhookApi.as_view(),
        name="webhook",
    ),
    path("payments/<uuid:token>/", views.PaymentDetailApi.as_view(), name="detail"),
]
