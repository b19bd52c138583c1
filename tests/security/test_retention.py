"""Records the law makes the hospital keep cannot be deleted, not by an operator in the admin and
not through the API: they are cancelled, voided or archived instead."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import RequestFactory

from audit.models import AccessLogEntry
from hospital.booking.models import Appointment
from hospital.consultations.models import Consultation
from hospital.prescriptions.models import Prescription
from hospital.records.models import MedicalDocument
from insurance.models import Claim, Settlement
from payments.models import Payment
from pharmacy.models import Order
from tests.accounts.factories import UserFactory
from tests.security.access_matrix import object_routes

KEPT = [
    Consultation,
    Prescription,
    Order,
    Settlement,
    Claim,
    Payment,
    Appointment,
    MedicalDocument,
    AccessLogEntry,
]


@pytest.mark.django_db
@pytest.mark.parametrize("model", KEPT, ids=lambda model: model.__name__)
def test_not_even_a_superuser_can_delete_a_kept_record_in_the_admin(model):
    request = RequestFactory().get("/admin/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    model_admin = admin.site._registry[model]

    assert not model_admin.has_delete_permission(request)
    assert "delete_selected" not in model_admin.get_actions(request)


KEPT_ROUTE_WORDS = ("consultation", "prescription", "order", "settlement", "claim", "appointment")


def test_no_api_route_deletes_a_kept_record():
    deleting = [
        route.name
        for route in object_routes()
        if "DELETE" in route.methods and any(word in route.name for word in KEPT_ROUTE_WORDS)
    ]
    assert deleting == []
    # What may be deleted is what a person may take back: a cart line, a paired device, a
    # caregiver's copies, a WeChat consent (withdrawn, and kept as such).
    assert {route.name for route in object_routes() if "DELETE" in route.methods} == {
        "hospital_api:device",
        "pharmacy_api:cart-line-detail",
        "notifications_api:caregiver",
        "notifications_api:wechat-subscription",
    }


def test_every_kept_kind_has_a_retention_period():
    assert set(settings.RETENTION_YEARS) >= {
        "consultation",
        "prescription",
        "order",
        "settlement",
        "claim",
        "payment",
        "access_log",
    }
    assert all(years >= 5 for years in settings.RETENTION_YEARS.values())
