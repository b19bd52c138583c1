"""The formulary table: loaded from the curated CSV with the knowledge module's parser,
idempotently; searched by doctors; forbidden control classes never offered."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from hospital.prescriptions.models import FormularyDrug
from hospital.prescriptions.services.formulary import formulary_load
from tests.hospital.consultation_factories import api_client_for
from tests.hospital.factories import DoctorFactory
from tests.hospital.prescription_factories import formulary_file, formulary_rows

pytestmark = pytest.mark.django_db

URL = "/api/v1/formulary/drugs/"


def test_load_creates_every_drug_then_changes_nothing():
    first = formulary_load()
    assert len(first.created) == len(formulary_rows()) == FormularyDrug.objects.count()
    second = formulary_load()
    assert second.created == second.updated == second.deactivated == []
    assert second.unchanged == len(first.created)


def test_loaded_drug_matches_the_file():
    formulary_load()
    drug = FormularyDrug.objects.get(code="metformin-500mg-tab")
    assert drug.generic_name_zh == "盐酸二甲双胍片"
    assert drug.ingredient_list == ["metformin hydrochloride"]
    assert drug.atc_code == "A10BA02"
    assert drug.pack_size == 48
    assert drug.long_term_allowed is True
    assert drug.insurance_category == "jia"
    codeine = FormularyDrug.objects.get(code="codeine-phosphate-30mg-tab")
    assert codeine.is_forbidden_online
    assert not FormularyDrug.objects.sellable_online().filter(pk=codeine.pk).exists()


def test_reload_updates_changed_rows_and_deactivates_removed_drugs(tmp_path):
    formulary_load()
    rows = formulary_rows()
    kept = rows[1:]
    kept[0] = {**kept[0], "generic_name_en": "Renamed drug"}
    result = formulary_load(path=formulary_file(tmp_path, kept))

    assert result.updated == [kept[0]["code"]]
    assert result.deactivated == [rows[0]["code"]]
    assert FormularyDrug.objects.get(code=rows[0]["code"]).is_active is False
    assert FormularyDrug.objects.get(code=kept[0]["code"]).generic_name_en == "Renamed drug"


def test_a_malformed_file_changes_nothing(tmp_path):
    rows = formulary_rows()
    path = formulary_file(tmp_path, [rows[0], {**rows[1], "rx_class": "maybe"}])
    with pytest.raises(CommandError, match="line 3"):
        call_command("load_formulary", file=str(path))
    assert FormularyDrug.objects.count() == 0


def test_command_reports_counts():
    out = io.StringIO()
    call_command("load_formulary", stdout=out)
    assert f"{len(formulary_rows())} created" in out.getvalue()


@pytest.fixture
def doctor_client():
    formulary_load()
    return api_client_for(DoctorFactory().user)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("二甲双胍", "metformin-500mg-tab"),
        ("Amlodipine", "amlodipine-5mg-tab"),
        ("spironolactone", "spironolactone-20mg-tab"),
        ("enalapril-10mg", "enalapril-10mg-tab"),
        ("C09AA", "enalapril-10mg-tab"),
    ],
)
def test_search_by_name_ingredient_code_and_atc(doctor_client, query, code):
    response = doctor_client.get(URL, {"q": query, "page_size": 100})
    assert response.status_code == 200
    assert code in [d["code"] for d in response.json()["results"]]


def test_search_leaves_out_forbidden_control_classes(doctor_client):
    response = doctor_client.get(URL, {"q": "codeine"})
    assert response.json()["results"] == []
    response = doctor_client.get(URL, {"page_size": 100})
    assert all(d["control_class"] == "normal" for d in response.json()["results"])


def test_search_is_paginated_with_a_constant_number_of_queries(
    doctor_client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        small = doctor_client.get(URL, {"page_size": 5})
    with django_assert_max_num_queries(4):
        large = doctor_client.get(URL, {"page_size": 100})
    assert len(small.json()["results"]) == 5
    assert len(large.json()["results"]) == 100
    assert large.json()["count"] == FormularyDrug.objects.sellable_online().count()


def test_search_needs_an_account(api_client):
    assert api_client.get(URL).status_code in (401, 403)
