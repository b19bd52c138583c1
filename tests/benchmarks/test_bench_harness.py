"""The benchmark's own arithmetic, and that its baseline view serves exactly the page the catalog
API serves (otherwise the throughput ratio would compare different work). No servers."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from benchmarks.loadgen import split_url
from benchmarks.stats import LoadResult, Target, best_of, percentile, ratio


def test_percentile_is_nearest_rank():
    samples = list(range(1, 101))  # 1..100
    assert percentile(samples, 50) == 50
    assert percentile(samples, 99) == 99
    assert percentile(samples, 100) == 100
    assert percentile([7.0], 99) == 7.0
    assert percentile([3, 1, 2], 50) == 2
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError, match="percentile"):
        percentile([1], 0)


def test_ratio_and_targets():
    assert ratio(30.0, 60.0) == 0.5
    assert math.isnan(ratio(1.0, 0.0))
    assert math.isnan(ratio(math.nan, 1.0))
    assert Target("t", 0.6, 0.6, "at_least").verdict == "PASS"
    assert Target("t", 0.59, 0.6, "at_least").verdict == "MISS"
    assert Target("p99", 3.1, 3.0, "at_most").verdict == "MISS"
    assert Target("orders", 10, 10, "exactly", "").verdict == "PASS"
    assert Target("orders", 11, 10, "exactly", "").verdict == "MISS"
    assert Target("t", math.nan, 0.6, "at_least").verdict == "N/A"


def test_best_of_prefers_clean_runs_then_throughput():
    clean = LoadResult("a", "/", requests=100, seconds=1, p50_ms=1, p99_ms=2)
    faster_with_errors = LoadResult(
        "b", "/", requests=500, seconds=1, p50_ms=1, p99_ms=2, non_2xx=3
    )
    faster = LoadResult("c", "/", requests=200, seconds=1, p50_ms=1, p99_ms=2)
    assert best_of([clean, faster_with_errors]) is clean
    assert best_of([clean, faster, faster_with_errors]) is faster
    assert faster.rps == 200


def test_split_url_keeps_path_and_query_only():
    assert split_url("http://testserver/api/v1/products/?cursor=cD0yMA%3D%3D") == (
        "/api/v1/products/?cursor=cD0yMA%3D%3D"
    )
    assert split_url("/bench/baseline/products/") == "/bench/baseline/products/"


@pytest.fixture
def catalog(db):
    from hospital.prescriptions.models import FormularyDrug
    from pharmacy.models import Category, Product
    from tests.hospital.review_factories import DrugFactory

    pain = Category.objects.create(name_zh="止痛", name_en="Pain", slug="pain")
    devices = Category.objects.create(name_zh="器械", name_en="Devices", slug="devices")
    ibuprofen = DrugFactory(
        generic_name_zh="布洛芬缓释胶囊",
        generic_name_en="Ibuprofen sustained-release capsules",
        ingredients="ibuprofen",
        rx_class=FormularyDrug.RxClass.OTC_A,
    )
    banned = DrugFactory(control_class=FormularyDrug.ControlClass.NARCOTIC)
    for i in range(45):
        if i % 3 == 0:
            drug, category, kind = ibuprofen, pain, Product.Kind.DRUG
        else:
            drug, category, kind = None, devices, Product.Kind.DEVICE
        Product.objects.create(
            sku=f"H{i:03d}",
            kind=kind,
            drug=drug,
            category=category,
            name_zh=drug.generic_name_zh if drug else f"体温计{i}",
            name_en=drug.generic_name_en if drug else f"Thermometer {i}",
            price=Decimal("12.50"),
            is_active=i != 4,
        )
    Product.objects.create(
        sku="BANNED", kind="drug", drug=banned, category=pain, name_zh="禁售", price=Decimal(9)
    )


@pytest.mark.urls("benchmarks.urls")
@pytest.mark.parametrize("query", ["", "?q=blf", "?q=ibuprofen", "?category=devices", "?rx=false"])
def test_baseline_serves_the_same_pages_as_the_catalog_api(catalog, query):
    client = APIClient()
    api_path, base_path = f"/api/v1/products/{query}", f"/bench/baseline/products/{query}"
    for _page in range(3):
        api = client.get(api_path)
        base = client.get(base_path)
        assert api.status_code == base.status_code == 200
        api_ids = [row["id"] for row in api.json()["results"]]
        assert api_ids, "an empty page proves nothing"
        assert [row["id"] for row in base.json()["results"]] == api_ids
        assert (api.json()["next"] is None) == (base.json()["next"] is None)
        if api.json()["next"] is None:
            break
        api_path = split_url(api.json()["next"])
        base_path = split_url(base.json()["next"])
