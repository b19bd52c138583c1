from django.urls import path

from insurance.api import views

app_name = "insurance_api"
urlpatterns = [
    path("policies/", views.PolicyListCreateApi.as_view(), name="policy-list"),
    path(
        "policies/<int:id>/eligibility/",
        views.PolicyEligibilityApi.as_view(),
        name="policy-eligibility",
    ),
]
