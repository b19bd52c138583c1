from django.urls import path

from insurance import pages

app_name = "insurance"
urlpatterns = [
    path("insurance/", pages.policy_list_page, name="policies"),
    path("insurance/claims/", pages.claim_list_page, name="claims"),
    path("insurance/claims/<int:pk>/", pages.claim_page, name="claim"),
    path("insurance/review/", pages.review_queue_page, name="review-queue"),
    path("insurance/review/next/", pages.review_take_next, name="review-take-next"),
    path("insurance/review/<int:pk>/", pages.review_claim_page, name="review-claim"),
]
