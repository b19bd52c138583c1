from django.urls import path

from insurance import pages

app_name = "insurance"
urlpatterns = [
    path("insurance/", pages.policy_list_page, name="policies"),
    path("insurance/claims/", pages.claim_list_page, name="claims"),
    path("insurance/claims/<int:pk>/", pages.claim_page, name="claim"),
    path("insurance/claims/<int:pk>/eob.pdf", pages.claim_eob_pdf, name="claim-eob-pdf"),
    path("insurance/settlements/", pages.settlement_list_page, name="settlements"),
    path("insurance/settlements/<int:pk>/", pages.settlement_page, name="settlement"),
    path(
        "insurance/settlements/<int:pk>/eob.pdf",
        pages.settlement_eob_pdf,
        name="settlement-eob-pdf",
    ),
    path("insurance/review/", pages.review_queue_page, name="review-queue"),
    path("insurance/review/next/", pages.review_take_next, name="review-take-next"),
    path("insurance/review/<int:pk>/", pages.review_claim_page, name="review-claim"),
]
