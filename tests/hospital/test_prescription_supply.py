"""The storefront's view of approved prescriptions: what may be bought, and the pack counter."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.db.utils import IntegrityError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from core.exceptions import Conflict, DomainError, NotFound
from hospital.prescriptions.models import Prescription, PrescriptionItem
from hospital.prescriptions.services.supply import (
    prescription_item_consume,
    prescription_item_remaining,
    prescription_item_restore,
    prescription_items_purchasable,
    viewer_holds_prescription_for_drug,
)
from tests.accounts.factories import PatientProfileFactory, PatientUserFactory
from tests.concurrency import run_concurrently
from tests.hospital.review_factories import (
    ApprovedPrescriptionFactory,
    PrescriptionFactory,
    PrescriptionItemFactory,
)

pytestmark = pytest.mark.django_db


def _item(**prescription_kwargs) -> PrescriptionItem:
    rx = ApprovedPrescriptionFactory(item__quantity_packs=5, **prescription_kwargs)
    return rx.items.get()


def test_consume_counts_packs_and_returns_the_item():
    item = _item()
    with transaction.atomic():
        result = prescription_item_consume(
            item_id=item.pk, patient_id=item.prescription.patient_id, packs=2
        )
    assert result.purchased_packs == 2
    assert prescription_item_remaining(item=result) == 3


def test_consume_beyond_the_quantity_is_a_conflict_and_changes_nothing():
    item = _item()
    patient_id = item.prescription.patient_id
    prescription_item_consume(item_id=item.pk, patient_id=patient_id, packs=4)
    with pytest.raises(Conflict) as exc:
        prescription_item_consume(item_id=item.pk, patient_id=patient_id, packs=2)
    assert exc.value.code == "prescription_quantity_exhausted"
    item.refresh_from_db()
    assert item.purchased_packs == 4


@pytest.mark.parametrize(
    "prescription_kwargs",
    [
        {"status": Prescription.Status.PENDING_REVIEW},
        {"status": Prescription.Status.REJECTED},
        {"status": Prescription.Status.EXPIRED},
        {
            "issued_on": dt.date(2020, 1, 1),
            "valid_until": dt.date(2020, 1, 3),
        },
    ],
)
def test_consume_from_a_prescription_not_in_force_is_refused(prescription_kwargs):
    item = _item(**prescription_kwargs)
    with pytest.raises(Conflict) as exc:
        prescription_item_consume(item_id=item.pk, patient_id=item.prescription.patient_id, packs=1)
    assert exc.value.code == "prescription_not_valid"
    item.refresh_from_db()
    assert item.purchased_packs == 0


def test_consume_for_another_patient_is_not_found():
    item = _item()
    stranger = PatientProfileFactory()
    with pytest.raises(NotFound):
        prescription_item_consume(item_id=item.pk, patient_id=stranger.pk, packs=1)
    with pytest.raises(NotFound):
        prescription_item_consume(item_id=999_999, patient_id=stranger.pk, packs=1)
    item.refresh_from_db()
    assert item.purchased_packs == 0


@pytest.mark.parametrize("packs", [0, -1, True, 1.5])
def test_consume_and_restore_need_a_positive_whole_number(packs):
    item = _item()
    with pytest.raises(DomainError):
        prescription_item_consume(
            item_id=item.pk, patient_id=item.prescription.patient_id, packs=packs
        )
    with pytest.raises(DomainError):
        prescription_item_restore(item_id=item.pk, packs=packs)


def test_consume_rolls_back_with_the_callers_transaction():
    item = _item()

    class CheckoutFailed(Exception):
        pass

    def checkout() -> None:
        with transaction.atomic():
            prescription_item_consume(
                item_id=item.pk, patient_id=item.prescription.patient_id, packs=3
            )
            raise CheckoutFailed

    with pytest.raises(CheckoutFailed):
        checkout()
    item.refresh_from_db()
    assert item.purchased_packs == 0


def test_restore_gives_packs_back_never_below_zero():
    item = _item()
    prescription_item_consume(item_id=item.pk, patient_id=item.prescription.patient_id, packs=3)
    prescription_item_restore(item_id=item.pk, packs=2)
    item.refresh_from_db()
    assert item.purchased_packs == 1
    prescription_item_restore(item_id=item.pk, packs=5)
    item.refresh_from_db()
    assert item.purchased_packs == 0
    with pytest.raises(NotFound):
        prescription_item_restore(item_id=999_999, packs=1)


def test_the_database_refuses_more_than_the_quantity_whatever_the_code():
    item = _item()
    item.purchased_packs = 6
    with pytest.raises(IntegrityError), transaction.atomic():
        item.save(update_fields=["purchased_packs"])


def test_purchasable_items_are_the_accounts_approved_unexpired_ones_with_packs_left(
    django_assert_num_queries,
):
    account = PatientUserFactory()
    me = PatientProfileFactory(account=account)
    child = PatientProfileFactory(
        account=account, relationship="child", birth_date=dt.date(2015, 3, 1)
    )
    mine = _item(consultation__appointment__patient=me)
    childs = _item(consultation__appointment__patient=child)
    used_up = _item(consultation__appointment__patient=me)
    prescription_item_consume(item_id=used_up.pk, patient_id=me.pk, packs=5)
    _item(consultation__appointment__patient=me, status=Prescription.Status.EXPIRED)
    _item(consultation__appointment__patient=me, status=Prescription.Status.PENDING_REVIEW)
    _item(
        consultation__appointment__patient=me,
        issued_on=timezone.localdate() - dt.timedelta(days=5),
        valid_until=timezone.localdate() - dt.timedelta(days=3),
    )
    _item()  # another account's

    with django_assert_num_queries(1):
        items = list(prescription_items_purchasable(account=account))
        names = [
            (i.drug.code, i.prescription.status, i.prescription.patient.real_name) for i in items
        ]
    assert {i.pk for i in items} == {mine.pk, childs.pk}
    assert len(names) == 2


def test_purchasable_items_of_an_anonymous_visitor_are_none():
    from django.contrib.auth.models import AnonymousUser

    _item()
    assert list(prescription_items_purchasable(account=AnonymousUser())) == []
    assert prescription_items_purchasable(account=None).count() == 0


def test_viewer_holds_a_prescription_for_the_drug():
    item = _item()
    account = item.prescription.patient.account
    assert viewer_holds_prescription_for_drug(account=account, drug_id=item.drug_id)
    assert not viewer_holds_prescription_for_drug(
        account=PatientUserFactory(), drug_id=item.drug_id
    )
    pending = PrescriptionFactory(consultation__appointment__patient=item.prescription.patient)
    assert not viewer_holds_prescription_for_drug(
        account=account, drug_id=pending.items.get().drug_id
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_buyers_of_a_five_pack_item_exactly_five_succeed():
    item = PrescriptionItemFactory(
        prescription=ApprovedPrescriptionFactory(item=None), quantity_packs=5
    )
    patient_id = item.prescription.patient_id

    def buy() -> str:
        with transaction.atomic():
            prescription_item_consume(item_id=item.pk, patient_id=patient_id, packs=1)
        return "ok"

    # Anything other than "ok" or a Conflict stays an exception object and fails the counts.
    outcomes = [
        outcome.code if isinstance(outcome, Conflict) else outcome
        for outcome in run_concurrently(buy, [()] * 20)
    ]

    assert outcomes.count("ok") == 5
    assert outcomes.count("prescription_quantity_exhausted") == 15
    item.refresh_from_db()
    assert item.purchased_packs == 5


class TestConsumeRestoreProperty(HypothesisTestCase):
    """Whatever sequence of purchases and returns, the counter stays within 0..quantity and
    equals what a careful clerk would have counted."""

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        quantity=st.integers(min_value=1, max_value=8),
        operations=st.lists(
            st.tuples(
                st.sampled_from(["consume", "restore"]), st.integers(min_value=1, max_value=5)
            ),
            max_size=25,
        ),
    )
    def test_counter_never_leaves_its_bounds(self, quantity, operations):
        item = PrescriptionItemFactory(
            prescription=ApprovedPrescriptionFactory(item=None), quantity_packs=quantity
        )
        patient_id = item.prescription.patient_id
        expected = 0
        for operation, packs in operations:
            if operation == "consume":
                refused = ""
                try:
                    with transaction.atomic():
                        prescription_item_consume(
                            item_id=item.pk, patient_id=patient_id, packs=packs
                        )
                except Conflict as exc:
                    refused = exc.code
                if expected + packs <= quantity:
                    assert refused == ""
                    expected += packs
                else:
                    assert refused == "prescription_quantity_exhausted"
            else:
                prescription_item_restore(item_id=item.pk, packs=packs)
                expected = max(expected - packs, 0)
            item.refresh_from_db()
            assert 0 <= item.purchased_packs <= quantity
            assert item.purchased_packs == expected
