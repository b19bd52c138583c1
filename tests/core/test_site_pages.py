"""What every page carries (licences, contacts, legal links, icon) and the legal texts."""

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


@pytest.fixture
def licences(settings):
    settings.LICENCE_INTERNET_HOSPITAL = "PDY-TEST-0001"
    settings.LICENCE_DRUG_ONLINE_SALES = "NET-DRUG-0002"
    settings.LICENCE_DRUG_INFORMATION = "INFO-0003"
    settings.ICP_RECORD_NUMBER = "京ICP备12345678号-1"
    settings.CUSTOMER_SERVICE_PHONE = "400-123-4567"
    settings.CUSTOMER_SERVICE_EMAIL = "help@xinglin.test"
    return settings


@pytest.mark.parametrize(
    "path", ["/", "/doctors/", "/shop/", "/accounts/login/", "/accounts/signup/", "/legal/terms/"]
)
def test_every_page_shows_the_licences_and_contacts_from_settings(client, licences, path):
    page = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for number in ("PDY-TEST-0001", "NET-DRUG-0002", "INFO-0003", "400-123-4567"):
        assert number in page
    assert "互联网医院执业许可证" in page
    assert "互联网药品信息服务资格证书" in page
    assert '<a href="https://beian.miit.gov.cn/"' in page
    assert "京ICP备12345678号-1</a>" in page
    assert 'href="mailto:help@xinglin.test"' in page
    assert 'href="/legal/terms/"' in page
    assert 'href="/legal/privacy/"' in page


@pytest.mark.parametrize(
    ("path", "setting", "chinese", "english"),
    [
        ("/legal/terms/", "LEGAL_TERMS_VERSION", ["用户协议", "复诊", "120"], ["User Agreement"]),
        (
            "/legal/privacy/",
            "LEGAL_PRIVACY_VERSION",
            ["隐私政策", "敏感个人信息", "保存期限", "撤回同意"],
            ["Privacy Policy", "sensitive personal information", "withdraw consent"],
        ),
    ],
)
def test_legal_pages_read_in_both_languages_with_their_version(
    client, settings, path, setting, chinese, english
):
    setattr(settings, setting, "2030-05-04")
    settings.PRIVACY_CONTACT_EMAIL = "dpo@xinglin.test"
    page = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "版本 2030-05-04" in page
    for text in chinese:
        assert text in page
    page = client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Version 2030-05-04" in page
    for text in english:
        assert text in page
    assert "敏感个人信息" not in page
    if "privacy" in path:
        assert "dpo@xinglin.test" in page


def test_favicon_ico_is_answered_not_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/favicon.ico"
    assert finders.find("favicon.ico")
    assert finders.find("favicon.svg")


def test_pages_link_the_icon_and_the_viewport(client):
    page = client.get("/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg"' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
