from __future__ import annotations

import base64

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hospital.prescriptions.models import FormularyDrug
from pharmacy.rules import RX_NOTICE
from tests.hospital.review_factories import DrugFactory
from tests.pharmacy.factories import (
    CategoryFactory,
    OtcDrugProductFactory,
    ProductFactory,
    RxProductFactory,
    approved_item,
    stock,
)

pytestmark = pytest.mark.django_db

LIST = "/api/v1/products/"


def _ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


def test_search_by_chinese_english_brand_ingredient_and_pinyin_initials(api_client):
    drug = DrugFactory(
        code="ibuprofen-test",
        generic_name_zh="布洛芬缓释胶囊",
        generic_name_en="Ibuprofen sustained-release capsules",
        ingredients="ibuprofen",
        rx_class=FormularyDrug.RxClass.OTC_A,
    )
    ibuprofen = OtcDrugProductFactory(drug=drug, name_zh="芬必得 布洛芬缓释胶囊", brand="芬必得")
    other = ProductFactory(name_zh="医用外科口罩", name_en="Surgical masks", brand="稳健")

    for q in ("布洛芬", "blf", "bulu", "ibuprofen", "IBUPROFEN", "芬必得", "fbd", "sustained"):
        response = api_client.get(LIST, {"q": q})
        assert response.status_code == 200, q
        assert _ids(response) == {ibuprofen.pk}, q
    assert _ids(api_client.get(LIST, {"q": "kz"})) == {other.pk}
    assert _ids(api_client.get(LIST, {"q": "blf 芬必得"})) == {ibuprofen.pk}
    assert _ids(api_client.get(LIST, {"q": "zzzz"})) == set()


def test_forbidden_control_classes_inactive_and_inactive_drugs_never_listed(api_client):
    visible = OtcDrugProductFactory()
    narcotic = RxProductFactory(drug=DrugFactory(control_class=FormularyDrug.ControlClass.NARCOTIC))
    vaccine = RxProductFactory(drug=DrugFactory(control_class=FormularyDrug.ControlClass.VACCINE))
    off_sale = ProductFactory(is_active=False)
    retired_drug = OtcDrugProductFactory(drug=DrugFactory(is_active=False))

    assert _ids(api_client.get(LIST)) == {visible.pk}
    for hidden in (narcotic, vaccine, off_sale, retired_drug):
        assert api_client.get(f"{LIST}{hidden.pk}/").status_code == 404


def test_category_filter_includes_subcategories_and_rx_filter(api_client):
    root = CategoryFactory(slug="medicines")
    child = CategoryFactory(parent=root, slug="cardio")
    elsewhere = CategoryFactory(slug="devices")
    rx = RxProductFactory(category=child)
    otc = OtcDrugProductFactory(category=root)
    device = ProductFactory(category=elsewhere)

    assert _ids(api_client.get(LIST, {"category": "medicines"})) == {rx.pk, otc.pk}
    assert _ids(api_client.get(LIST, {"category": str(child.pk)})) == {rx.pk}
    assert _ids(api_client.get(LIST, {"category": "nope"})) == set()
    assert _ids(api_client.get(LIST, {"rx": "true"})) == {rx.pk}
    assert _ids(api_client.get(LIST, {"rx": "false"})) == {otc.pk, device.pk}
    response = api_client.get(LIST, {"rx": "maybe"})
    assert response.status_code == 400
    assert "rx" in response.json()["errors"]


def test_list_rows_carry_stock_and_never_an_rx_image(api_client):
    rx = RxProductFactory()
    device = ProductFactory()
    stock(device, 3)
    rows = {row["id"]: row for row in api_client.get(LIST).json()["results"]}
    assert rows[rx.pk]["image_url"] is None
    assert rows[rx.pk]["is_prescription"] is True
    assert rows[rx.pk]["in_stock"] is False
    assert rows[device.pk]["image_url"].endswith("illustrations/device.svg")
    assert rows[device.pk]["in_stock"] is True
    assert rows[device.pk]["price"] == "25.00"


def test_cursor_pagination_walks_the_whole_catalog(api_client):
    products = ProductFactory.create_batch(7)
    seen: list[int] = []
    url = f"{LIST}?page_size=3"
    while url:
        body = api_client.get(url).json()
        assert "count" not in body
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert seen == sorted(p.pk for p in products)


@pytest.mark.parametrize("position", ["abc", "", "1.5"])
def test_a_cursor_with_a_position_that_is_no_id_is_a_404(api_client, position):
    ProductFactory()
    cursor = base64.b64encode(f"p={position}".encode()).decode()
    response = api_client.get(LIST, {"cursor": cursor})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("size", [2, 20])
def test_list_query_count_is_constant_in_page_size(api_client, django_assert_num_queries, size):
    category = CategoryFactory()
    for _ in range(size):
        stock(ProductFactory(category=category), 2)
        RxProductFactory(category=category)
    with django_assert_num_queries(1):
        response = api_client.get(LIST, {"page_size": size, "q": "", "category": ""})
    assert len(response.json()["results"]) == size
    with django_assert_num_queries(2):  # the categories, then the page
        api_client.get(LIST, {"page_size": size, "category": category.slug, "q": "血"})


def test_rx_detail_shows_notice_and_hides_leaflet_without_a_prescription(
    patient_client, patient, django_assert_max_num_queries
):
    product = RxProductFactory()
    stock(product, 4)
    body = patient_client.get(f"{LIST}{product.pk}/").json()
    assert body["rx_notice"] == str(RX_NOTICE) == "处方药须凭处方在药师指导下购买和使用"
    assert body["details_visible"] is False
    assert body["indications"] == body["dosage"] == body["leaflet"] == ""
    assert body["prescription_items"] == []
    assert body["stock_available"] == 4

    item = approved_item(patient, product.drug, packs=2)
    with CaptureQueriesContext(connection) as queries:
        body = patient_client.get(f"{LIST}{product.pk}/").json()
    assert len(queries) <= 6
    assert body["details_visible"] is True
    assert body["indications"] == "高血压。"
    assert body["leaflet"]
    assert [i["id"] for i in body["prescription_items"]] == [item.pk]
    assert body["prescription_items"][0]["remaining_packs"] == 2


def test_someone_elses_prescription_does_not_reveal_the_leaflet(patient_client):
    from tests.accounts.factories import PatientProfileFactory

    product = RxProductFactory()
    approved_item(PatientProfileFactory(), product.drug)
    body = patient_client.get(f"{LIST}{product.pk}/").json()
    assert body["details_visible"] is False
    assert body["leaflet"] == ""


def test_otc_detail_shows_everything_to_anyone(api_client, django_assert_num_queries):
    product = OtcDrugProductFactory(indications="头痛。", dosage="一次一粒。")
    with django_assert_num_queries(2):  # the product with category and drug, its images
        body = api_client.get(f"{LIST}{product.pk}/").json()
    assert body["rx_notice"] is None
    assert body["details_visible"] is True
    assert body["indications"] == "头痛。"
    assert body["drug"]["code"] == product.drug.code


def test_categories_list(api_client):
    root = CategoryFactory(position=0)
    CategoryFactory(parent=root, position=1)
    CategoryFactory(is_active=False)
    body = api_client.get("/api/v1/categories/").json()
    assert [c["parent"] for c in body] == [None, root.pk]


def test_unknown_product_is_a_json_404(api_client):
    response = api_client.get(f"{LIST}999999/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_list_rows_render_as_the_documented_serializer_does(api_client):
    from pharmacy import selectors
    from pharmacy.api.serializers import ProductListItemOutput, product_list_items

    stock(ProductFactory(image="products/mask.png", purchase_limit=3), 2)
    ProductFactory(kind="health")
    RxProductFactory()
    OtcDrugProductFactory(price="7.50")
    rows = list(selectors.product_list())
    assert len(rows) == 4
    assert product_list_items(rows) == ProductListItemOutput(rows, many=True).data
