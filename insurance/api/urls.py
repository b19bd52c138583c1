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
    path("claims/", views.ClaimListCreateApi.as_view(), name="claim-list"),
    path("claims/next/", views.ClaimTakeNextApi.as_view(), name="claim-take-next"),
    path("claims/<int:id>/", views.ClaimDetailApi.as_view(), name="claim-detail"),
    path(
        "claims/<int:id>/documents/",
        views.ClaimDocumentCreateApi.as_view(),
        name="claim-document-create",
    ),
    path("settlements/", views.SettlementListApi.as_view(), name="settlement-list"),
    path("settlements/<int:id>/", views.SettlementDetailApi.as_view(), name="settlement-detail"),
    path("claims/<int:id>/decide/", views.ClaimDecideApi.as_view(), name="claim-decide"),
]
