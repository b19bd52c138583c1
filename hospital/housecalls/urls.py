"""Routes of house calls: the pages (`urlpatterns`, under the hospital namespace) and the API
(`api_urlpatterns`, under /api/v1/)."""

from django.urls import path

from hospital.housecalls import api, pages

urlpatterns = [
    path("house-calls/", pages.my_house_calls, name="my-house-calls"),
    path("house-calls/<int:pk>/", pages.house_call_detail, name="house-call-detail"),
    path("house-calls/<int:pk>/pay/", pages.house_call_pay, name="house-call-pay"),
    path("house-calls/<int:pk>/cancel/", pages.house_call_cancel, name="house-call-cancel"),
    path("house-calls/triage/", pages.triage_desk, name="house-call-triage-desk"),
    path("doctor/house-calls/", pages.doctor_house_calls, name="doctor-house-calls"),
    path(
        "doctor/house-calls/<int:pk>/",
        pages.doctor_house_call_action,
        name="doctor-house-call-action",
    ),
]

api_urlpatterns = [
    path("house-call-areas/", api.ServiceAreaListApi.as_view(), name="house-call-area-list"),
    path("house-calls/", api.HouseCallListCreateApi.as_view(), name="house-call-list"),
    path("house-calls/<int:pk>/", api.HouseCallDetailApi.as_view(), name="house-call-detail"),
    path("house-calls/<int:pk>/pay/", api.HouseCallPayApi.as_view(), name="house-call-pay"),
    path(
        "house-calls/<int:pk>/cancel/", api.HouseCallCancelApi.as_view(), name="house-call-cancel"
    ),
    path(
        "house-calls/<int:pk>/triage/", api.HouseCallTriageApi.as_view(), name="house-call-triage"
    ),
    path(
        "house-calls/<int:pk>/dispatch/",
        api.HouseCallDispatchApi.as_view(),
        name="house-call-dispatch",
    ),
    path(
        "house-calls/<int:pk>/accept/", api.HouseCallAcceptApi.as_view(), name="house-call-accept"
    ),
    path(
        "house-calls/<int:pk>/on-the-way/",
        api.HouseCallSetOutApi.as_view(),
        name="house-call-on-the-way",
    ),
    path(
        "house-calls/<int:pk>/arrived/",
        api.HouseCallArriveApi.as_view(),
        name="house-call-arrived",
    ),
    path(
        "house-calls/<int:pk>/complete/",
        api.HouseCallCompleteApi.as_view(),
        name="house-call-complete",
    ),
    path(
        "doctor/house-calls/", api.DoctorHouseCallListApi.as_view(), name="doctor-house-call-list"
    ),
]
