"""Operators run the platform from the admin: every app's models are theirs to see and look
after, the access log only to read, and nothing to delete."""

import pytest
from django.contrib.auth.models import Group

from accounts.roles import Role
from tests.accounts.factories import OperatorUserFactory, activate_totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(client):
    operator = OperatorUserFactory()
    activate_totp(operator)
    client.force_login(operator)
    return client


@pytest.mark.parametrize(
    "changelist",
    [
        "/admin/hospital/credential/",
        "/admin/hospital/doctorprofile/",
        "/admin/hospital/appointment/",
        "/admin/hospital/formularydrug/",
        "/admin/pharmacy/product/",
        "/admin/pharmacy/order/",
        "/admin/payments/payment/",
        "/admin/notifications/notification/",
        "/admin/audit/accesslogentry/",
        "/admin/django_celery_beat/periodictask/",
    ],
)
def test_operator_opens_the_admin_lists_they_run(operator_client, changelist):
    assert operator_client.get(changelist).status_code == 200


def test_operator_group_may_change_but_never_delete():
    codenames = set(
        Group.objects.get(name=Role.OPERATOR).permissions.values_list("codename", flat=True)
    )
    assert {"change_credential", "view_credential", "change_order", "view_payment"} <= codenames
    assert not any(codename.startswith("delete_") for codename in codenames)
    assert "view_accesslogentry" in codenames
    assert "change_accesslogentry" not in codenames


def test_a_patient_cannot_open_the_admin(client, patient_user):
    client.force_login(patient_user)
    assert client.get("/admin/hospital/credential/").status_code == 302
