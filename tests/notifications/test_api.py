from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.accounts.factories import PatientUserFactory
from tests.notifications.factories import NotificationFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/notifications/"


def test_a_person_sees_only_their_own_notifications_newest_first(patient_client, patient_user):
    now = timezone.now()
    older = NotificationFactory(recipient=patient_user)
    newer = NotificationFactory(recipient=patient_user)
    type(older).objects.filter(pk=older.pk).update(created_at=now - dt.timedelta(hours=2))
    NotificationFactory()  # someone else's

    response = patient_client.get(LIST)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [item["id"] for item in body["results"]] == [newer.pk, older.pk]
    first = body["results"][0]
    assert first["subject"] == newer.subject
    assert first["is_read"] is False
    assert first["kind_label"]


def test_the_unread_filter(patient_client, patient_user):
    read = NotificationFactory(recipient=patient_user, read_at=timezone.now())
    unread = NotificationFactory(recipient=patient_user)

    only_unread = patient_client.get(LIST, {"unread": "true"}).json()["results"]
    only_read = patient_client.get(LIST, {"unread": "false"}).json()["results"]

    assert [item["id"] for item in only_unread] == [unread.pk]
    assert [item["id"] for item in only_read] == [read.pk]


def test_a_bad_filter_value_is_a_400(patient_client):
    response = patient_client.get(LIST, {"unread": "perhaps"})
    assert response.status_code == 400
    assert "unread" in response.json()["errors"]


def test_the_list_is_paginated(patient_client, patient_user):
    NotificationFactory.create_batch(5, recipient=patient_user)

    body = patient_client.get(LIST, {"page_size": 2}).json()

    assert body["count"] == 5
    assert len(body["results"]) == 2
    assert body["next"]


@pytest.mark.parametrize("rows", [1, 15])
def test_the_list_costs_the_same_queries_however_many_rows(
    patient_client, patient_user, django_assert_num_queries, rows
):
    NotificationFactory.create_batch(rows, recipient=patient_user)
    # count + page
    with django_assert_num_queries(2):
        response = patient_client.get(LIST)
    assert len(response.json()["results"]) == rows


def test_marking_read(patient_client, patient_user):
    notification = NotificationFactory(recipient=patient_user)

    response = patient_client.post(f"{LIST}{notification.pk}/read/")
    again = patient_client.post(f"{LIST}{notification.pk}/read/")

    assert response.status_code == again.status_code == 200
    assert response.json()["is_read"] is True
    assert again.json()["read_at"] == response.json()["read_at"]
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_another_persons_notification_is_not_found(patient_client):
    someone_elses = NotificationFactory(recipient=PatientUserFactory())

    response = patient_client.post(f"{LIST}{someone_elses.pk}/read/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    someone_elses.refresh_from_db()
    assert someone_elses.read_at is None


def test_an_unknown_notification_is_not_found(patient_client):
    assert patient_client.post(f"{LIST}999999/read/").status_code == 404


def test_anonymous_callers_are_refused(api_client):
    assert api_client.get(LIST).status_code in (401, 403)
    assert api_client.post(f"{LIST}1/read/").status_code in (401, 403)
