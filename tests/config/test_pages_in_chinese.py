"""Pages render in Simplified Chinese by default and in English when asked: the project
catalogue (templates) and the apps' catalogues are compiled and picked up."""

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from tests.accounts.factories import PatientProfileFactory

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

# Shown on every page by base.html.
FOOTER_ZH = "杏林互联网医院——在线复诊，电子处方经药师审核，药品配送到家。"
FOOTER_EN = "Xinglin Internet Hospital — online follow-up care"
EMERGENCY_ZH = "如遇紧急情况，请拨打 120。"
EMERGENCY_EN = "In an emergency call 120."


def visible_text(response) -> str:
    """The page's text as a reader sees it: no tags, scripts, styles or attribute values."""
    assert response.status_code == 200
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def assert_chinese(text: str, chinese: list[str], english: list[str]) -> None:
    for phrase in [FOOTER_ZH, EMERGENCY_ZH, *chinese]:
        assert phrase in text, phrase
    for phrase in [FOOTER_EN, EMERGENCY_EN, *english]:
        assert phrase not in text, phrase


def assert_english(text: str, english: list[str], chinese: list[str]) -> None:
    for phrase in [FOOTER_EN, EMERGENCY_EN, *english]:
        assert phrase in text, phrase
    for phrase in [FOOTER_ZH, EMERGENCY_ZH, *chinese]:
        assert phrase not in text, phrase


@pytest.fixture
def patient_client(client):
    profile = PatientProfileFactory()
    client.force_login(profile.account)
    return client


# (url name, Chinese expected, English source that must not show) for anonymous pages.
ANONYMOUS_PAGES = [
    (
        "home",
        [
            "医疗服务，伴您到家",
            "在线问诊",
            "电子处方",
            "每张处方均经药师审核通过后方可售药。",
            "登录",
            "注册",
        ],
        ["Care that follows you home", "Consult a doctor", "E-prescriptions", "Log in", "Sign up"],
    ),
    ("account_login", ["登录", "注册", "找医生", "药房"], ["Log in", "Sign up", "Find a doctor"]),
    ("account_signup", ["注册", "登录"], ["Sign up", "Log in"]),
    (
        "pharmacy:catalog",
        ["药房", "处方药", "全部分类", "没有匹配的商品。"],
        ["All categories", "No products match."],
    ),
]

# The same pages for a patient who is logged in.
PATIENT_PAGES = [
    (
        "accounts:patient_list",
        ["就诊人", "添加就诊人", "我的预约", "我的处方", "退出登录"],
        ["My patients", "Add a patient", "My appointments", "My prescriptions", "Log out"],
    ),
    (
        "hospital:my-appointments",
        ["我的预约", "开始前 2 小时以上可免费取消", "暂无预约。"],
        ["No appointments yet."],
    ),
    ("hospital:my-prescriptions", ["我的处方", "暂无处方。"], ["No prescriptions yet."]),
]


@pytest.mark.parametrize(("name", "chinese", "english"), ANONYMOUS_PAGES)
def test_anonymous_pages_in_chinese(client, name, chinese, english):
    text = visible_text(client.get(reverse(name), **ZH))
    assert_chinese(text, chinese, english)


@pytest.mark.parametrize(("name", "chinese", "english"), PATIENT_PAGES)
def test_patient_pages_in_chinese(patient_client, name, chinese, english):
    text = visible_text(patient_client.get(reverse(name), **ZH))
    assert_chinese(text, chinese, english)


def test_chinese_is_the_default_language(client):
    text = visible_text(client.get(reverse("home")))
    assert_chinese(text, ["医疗服务，伴您到家"], ["Care that follows you home"])


def test_pages_in_english(client):
    text = visible_text(client.get(reverse("home"), **EN))
    assert_english(
        text,
        ["Care that follows you home", "Consult a doctor", "Log in", "Sign up"],
        ["医疗服务，伴您到家", "在线问诊"],
    )

    text = visible_text(client.get(reverse("account_login"), **EN))
    assert_english(text, ["Log in", "Find a doctor"], ["登录", "找医生"])

    text = visible_text(client.get(reverse("pharmacy:catalog"), **EN))
    assert_english(text, ["All categories", "No products match."], ["全部分类", "没有匹配的商品。"])

    profile = PatientProfileFactory()
    client.force_login(profile.account)
    text = visible_text(client.get(reverse("accounts:patient_list"), **EN))
    assert_english(
        text,
        ["My patients", "Add a patient", "My appointments", "Log out"],
        ["就诊人", "我的预约", "退出登录"],
    )

    text = visible_text(client.get(reverse("hospital:my-appointments"), **EN))
    assert_english(text, ["My appointments", "No appointments yet."], ["暂无预约。"])


def test_admin_sections_and_roles_in_chinese(client):
    from accounts.roles import Role
    from tests.accounts.factories import UserFactory, activate_totp

    admin = UserFactory(is_staff=True, is_superuser=True)
    activate_totp(admin)
    client.force_login(admin)
    UserFactory().groups.add(Group.objects.get(name=Role.CLAIMS_OFFICER))
    index = visible_text(client.get("/admin/", **ZH))
    for section in ["登录防护", "两步验证", "认证器", "任务结果", "登录尝试"]:
        assert section in index, section
    for english in [
        "Axes",
        "Celery Results",
        "Task results",
        "Group results",
        "Authenticators",
        "Access attempts",
        "Access failures",
        "Access logs",
        "Add link",
    ]:
        assert english not in index, english
    users = visible_text(client.get("/admin/accounts/user/", **ZH))
    assert "理赔专员" in users or str(Role.CLAIMS_OFFICER.label) in users
    for code in ["claims_officer", "pharmacist", "operator"]:
        assert code not in users, code
