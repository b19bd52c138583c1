from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.accounts.factories import PatientProfileFactory, PharmacistUserFactory

ADDRESS = {
    "delivery_method": "express",
    "recipient_name": "张三",
    "recipient_phone": "13800138000",
    "city": "上海",
    "address": "浦东新区世纪大道 100 号",
}


@pytest.fixture
def patient(patient_user):
    return PatientProfileFactory(account=patient_user)


@pytest.fixture
def pharmacist_client():
    client = APIClient()
    client.force_authenticate(PharmacistUserFactory())
    return client


@pytest.fixture
def address():
    return dict(ADDRESS)
