"""Products follow their formulary drug: a drug reclassified as prescription-only is from then on
sold only against a prescription, wherever the change was made."""

from __future__ import annotations

import pytest

from hospital.prescriptions.models import FormularyDrug
from hospital.prescriptions.services.formulary import formulary_load
from pharmacy import services
from pharmacy.models import Order
from tests.hospital.prescription_factories import formulary_file, formulary_rows
from tests.pharmacy.factories import OtcDrugProductFactory, stock

pytestmark = pytest.mark.django_db


def test_an_otc_drug_made_prescription_only_cannot_be_checked_out_without_a_prescription(
    patient_client, patient_user, patient, address
):
    product = OtcDrugProductFactory()
    stock(product, 10)
    services.cart_line_add(
        account=patient_user, patient_id=patient.pk, product_id=product.pk, quantity=1
    )

    drug = product.drug
    drug.rx_class = FormularyDrug.RxClass.RX
    drug.save()

    product.refresh_from_db()
    assert product.is_prescription
    listed = patient_client.get(f"/api/v1/products/{product.pk}/").json()
    assert listed["is_prescription"] is True
    response = patient_client.post("/api/v1/checkout/", address, format="json")
    assert response.status_code == 400, response.json()
    assert not Order.objects.exists()


def test_a_drug_made_otc_again_is_sold_without_one():
    product = OtcDrugProductFactory(drug__rx_class=FormularyDrug.RxClass.RX)
    assert product.is_prescription
    drug = product.drug
    drug.rx_class = FormularyDrug.RxClass.OTC_B
    drug.save()
    product.refresh_from_db()
    assert not product.is_prescription


def test_reloading_the_formulary_file_reclassifies_the_products_of_a_changed_drug(tmp_path):
    formulary_load()
    rows = formulary_rows()
    otc = next(r for r in rows if r["rx_class"] != "rx")
    product = OtcDrugProductFactory(drug=FormularyDrug.objects.get(code=otc["code"]))
    assert not product.is_prescription

    path = formulary_file(tmp_path, [{**r, "rx_class": "rx"} if r is otc else r for r in rows])
    result = formulary_load(path=path)

    assert result.updated == [otc["code"]]
    product.refresh_from_db()
    assert product.is_prescription
