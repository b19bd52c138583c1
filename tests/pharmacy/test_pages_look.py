"""What a shopper sees: products first, categories after them (beside them on a wide screen),
and products without a photo drawn with their category's illustration."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders

from pharmacy.models import Product
from pharmacy.models.catalog import Illustration
from tests.pharmacy.factories import CategoryFactory, ProductFactory, RxProductFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/products/"


def _tile_images(html: str) -> dict[str, str]:
    tiles = re.findall(
        r'<a class="product-tile"[^>]*data-testid="product">\s*<img src="([^"]+)" alt="([^"]+)"',
        html,
    )
    return {name: src for src, name in tiles}


def test_every_illustration_is_drawn():
    for illustration in Illustration:
        assert finders.find(f"pharmacy/illustrations/{illustration}.svg"), illustration


def test_tiles_use_the_category_illustration_then_the_parents_then_the_kinds(client):
    skin = CategoryFactory(illustration=Illustration.TOPICAL)
    eyes = CategoryFactory(illustration=Illustration.DROPS)
    eye_drops = CategoryFactory(parent=eyes)
    plain = CategoryFactory()
    ProductFactory(name_zh="红霉素软膏", kind=Product.Kind.HEALTH, category=skin)
    ProductFactory(name_zh="玻璃酸钠滴眼液", kind=Product.Kind.HEALTH, category=eye_drops)
    ProductFactory(name_zh="维生素C", kind=Product.Kind.HEALTH, category=plain)
    ProductFactory(name_zh="血压计", kind=Product.Kind.DEVICE, category=plain)
    images = _tile_images(client.get("/shop/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode())
    assert images["红霉素软膏"].endswith("/pharmacy/illustrations/topical.svg")
    assert images["玻璃酸钠滴眼液"].endswith("/pharmacy/illustrations/drops.svg")
    assert images["维生素C"].endswith("/pharmacy/illustrations/supplement.svg")
    assert images["血压计"].endswith("/pharmacy/illustrations/device.svg")


def test_the_api_and_the_product_page_draw_the_same_illustration(client, api_client):
    product = ProductFactory(category=CategoryFactory(illustration=Illustration.THERMOMETER))
    [row] = api_client.get(LIST).json()["results"]
    assert row["image_url"].endswith("/pharmacy/illustrations/thermometer.svg")
    detail = api_client.get(f"{LIST}{product.pk}/").json()
    assert detail["image_urls"] == [row["image_url"]]
    page = client.get(f"/shop/products/{product.pk}/").content.decode()
    assert f'<img src="{row["image_url"]}"' in page


def test_a_photo_wins_and_a_prescription_product_shows_no_picture(client):
    ProductFactory(name_zh="血糖仪", image="products/meter.jpg")
    RxProductFactory(category=CategoryFactory(illustration=Illustration.TABLETS))
    html = client.get("/shop/").content.decode()
    assert _tile_images(html)["血糖仪"] == "/media/products/meter.jpg"
    assert '<span class="rx-tile">Rx</span>' in html
    assert html.count('class="product-tile"') == 2


def test_products_come_before_the_categories_which_fold_on_a_phone(client):
    category = CategoryFactory(name_zh="皮肤用药")
    ProductFactory(category=category)
    html = client.get("/shop/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    # A phone gets one closed control above the products; wide screens the list beside them.
    picker = html.index('<details class="category-picker" data-testid="category-picker">')
    grid = html.index('data-testid="product-grid"')
    sidebar = html.index('data-testid="category-nav"')
    assert picker < grid < sidebar
    assert "<summary>商品分类: 全部分类</summary>" in html
    assert "皮肤用药" in html[picker : html.index("</details>", picker)]
    assert "皮肤用药" in html[sidebar : html.index("</nav>", sidebar)]
