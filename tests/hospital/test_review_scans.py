"""Periodic scans: overdue reviews alert the operators once; lapsed prescriptions expire at the
end of their last valid day in Asia/Shanghai."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from hospital.prescriptions.models import Prescription, PrescriptionEvent
from hospital.prescriptions.services.review import (
    prescriptions_alert_review_overdue,
    prescriptions_expire_due,
)
from hospital.prescriptions.services.supply import (
    prescription_item_consume,
    prescription_items_purchasable,
)
from hospital.prescriptions.tasks import alert_overdue_prescription_reviews, expire_prescriptions
from notifications.models import Notification
from tests.accounts.factories import OperatorUserFactory
from tests.hospital.review_factories import ApprovedPrescriptionFactory, PrescriptionFactory

pytestmark = pytest.mark.django_db

S = Prescription.Status
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def test_a_review_waiting_over_thirty_minutes_alerts_the_operators_once(
    django_capture_on_commit_callbacks,
):
    operators = [OperatorUserFactory(), OperatorUserFactory()]
    now = timezone.now()
    overdue = PrescriptionFactory(submitted_at=now - dt.timedelta(minutes=31))
    PrescriptionFactory(submitted_at=now - dt.timedelta(minutes=29))
    PrescriptionFactory(status=S.APPROVED, submitted_at=now - dt.timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert prescriptions_alert_review_overdue(now=now) == 1
        assert prescriptions_alert_review_overdue(now=now + dt.timedelta(seconds=30)) == 0
        assert alert_overdue_prescription_reviews.delay().get() == 0
    alerts = Notification.objects.filter(kind="operations.alert")
    assert sorted(a.recipient_id for a in alerts) == sorted(o.pk for o in operators)
    assert all(f"#{overdue.pk}" in a.subject for a in alerts)
    assert (
        PrescriptionEvent.objects.filter(prescription=overdue, kind="review_overdue").count() == 1
    )


def _shanghai(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def test_an_approved_prescription_expires_after_the_end_of_its_last_day_in_shanghai():
    last_day = dt.date(2026, 3, 10)
    rx = ApprovedPrescriptionFactory(issued_on=dt.date(2026, 3, 8), valid_until=last_day)
    # 23:30 in Shanghai is 15:30 UTC: still the last valid day there.
    assert prescriptions_expire_due(now=_shanghai(last_day, 23, 30)) == 0
    rx.refresh_from_db()
    assert rx.status == S.APPROVED
    # Ten minutes past midnight in Shanghai (16:10 UTC the same UTC day): lapsed.
    assert prescriptions_expire_due(now=_shanghai(last_day + dt.timedelta(days=1), 0, 10)) == 1
    rx.refresh_from_db()
    assert rx.status == S.EXPIRED
    event = PrescriptionEvent.objects.get(prescription=rx, kind="expired")
    assert event.detail["previous_status"] == "approved"
    assert prescriptions_expire_due(now=_shanghai(last_day + dt.timedelta(days=2), 1)) == 0


def test_expiry_covers_pending_and_partly_bought_ones_but_not_fully_bought_ones():
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    issued = today - dt.timedelta(days=3)
    partly = ApprovedPrescriptionFactory(issued_on=today, valid_until=today, item__quantity_packs=3)
    fully = ApprovedPrescriptionFactory(issued_on=today, valid_until=today, item__quantity_packs=2)
    for rx, packs in ((partly, 1), (fully, 2)):
        prescription_item_consume(item_id=rx.items.get().pk, patient_id=rx.patient_id, packs=packs)
    Prescription.objects.filter(pk__in=[partly.pk, fully.pk]).update(
        issued_on=issued, valid_until=yesterday
    )
    pending = PrescriptionFactory(issued_on=issued, valid_until=yesterday)
    current = ApprovedPrescriptionFactory()

    assert expire_prescriptions.delay().get() == 2
    statuses = dict(
        Prescription.objects.filter(
            pk__in=[partly.pk, fully.pk, pending.pk, current.pk]
        ).values_list("pk", "status")
    )
    assert statuses == {
        partly.pk: S.EXPIRED,
        fully.pk: S.APPROVED,
        pending.pk: S.EXPIRED,
        current.pk: S.APPROVED,
    }
    assert partly.items.get().pk not in {
        i.pk for i in prescription_items_purchasable(account=partly.patient.account)
    }
