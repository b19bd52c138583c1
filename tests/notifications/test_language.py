"""The inbox reads in the reader's language, whatever language the sender's process spoke."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext_noop

from core.system_text import system_label, system_text
from hospital.prescriptions.models import Prescription
from notifications.services import notification_send
from tests.notifications.factories import NotificationFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/notifications/"


def test_a_system_notification_is_read_in_the_language_asked_for(patient_client, patient_user):
    with translation.override("zh-hans"):  # a worker speaking the default language
        notification_send(
            recipient=patient_user,
            kind="hospital.prescription_reviewed",
            subject=system_text(gettext_noop("Your prescription was not approved")),
            body=system_text(
                gettext_noop(
                    "A pharmacist did not approve prescription #%(id)s for %(patient)s "
                    "(%(reason)s). Your doctor has been told and may revise it."
                ),
                id=7,
                patient="张伟",
                reason=system_label(Prescription.ReviewReason.INDICATION.label),
            ),
            dedupe_key="language-test",
            send_email=False,
        )
    english = patient_client.get(LIST, HTTP_ACCEPT_LANGUAGE="en").json()["results"][0]
    assert english["subject"] == "Your prescription was not approved"
    assert "prescription #7 for 张伟 (Indication does not fit the diagnosis)" in english["body"]
    chinese = patient_client.get(LIST, HTTP_ACCEPT_LANGUAGE="zh-hans").json()["results"][0]
    assert "approved" not in chinese["subject"]
    assert "Indication" not in chinese["body"]
    assert "#7" in chinese["body"]


def test_notifications_written_before_keep_their_text(patient_client, patient_user):
    NotificationFactory(recipient=patient_user, subject="处方已审核", body="请查看。")
    item = patient_client.get(LIST, HTTP_ACCEPT_LANGUAGE="en").json()["results"][0]
    assert (item["subject"], item["body"]) == ("处方已审核", "请查看。")
