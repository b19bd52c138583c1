"""What a new user's mailbox gets: mail from 杏林 whose links work from anywhere (absolute, on
SITE_URL), and on the demo a page that shows it."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings

from notifications.services import notification_send
from tests.accounts.factories import PatientUserFactory, verified_email

pytestmark = pytest.mark.django_db

PASSWORD = "Xinglin-test-2026"
SITE_URL = "https://hospital.example.cn"


def links(message) -> list[str]:
    return re.findall(r"\S+://\S+|(?<!\S)/\S+", message.body)


@override_settings(SITE_URL=SITE_URL)
def test_sign_up_mail_comes_from_xinglin_with_absolute_links(client):
    client.post(
        "/accounts/signup/",
        {
            "email": "new@example.test",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "consent": "on",
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    (message,) = mail.outbox
    assert message.subject.startswith("[杏林] ")
    assert "127.0.0.1" not in message.subject + message.body
    assert "testserver" not in message.body
    assert "杏林" in message.body
    assert links(message)
    for link in links(message):
        assert link.startswith(f"{SITE_URL}/"), link


@override_settings(SITE_URL=SITE_URL)
def test_password_reset_link_is_on_site_url_whatever_the_host_header(client):
    user = verified_email(PatientUserFactory())
    client.post("/accounts/password/reset/", {"email": user.email}, HTTP_HOST="testserver")
    (message,) = mail.outbox
    assert message.subject.startswith("[杏林] ")
    reset_links = [link for link in links(message) if "/password/reset/key/" in link]
    assert reset_links
    assert all(link.startswith(f"{SITE_URL}/accounts/") for link in reset_links)


@override_settings(SITE_URL=SITE_URL)
def test_a_notification_email_links_absolutely(django_capture_on_commit_callbacks):
    patient = PatientUserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(
            recipient=patient,
            kind="hospital.credential_verified",
            subject="证书已核验",
            body="您的证书已核验。",
            dedupe_key="t:1",
            link="/doctor/credentials/",
        )
    (message,) = mail.outbox
    assert links(message) == [f"{SITE_URL}/doctor/credentials/"]


@pytest.fixture
def demo_mailbox(settings, tmp_path):
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "core.mail.DemoMailboxBackend"
    settings.DEMO_MAILBOX_DIR = tmp_path / "mail"
    return tmp_path / "mail"


def test_the_demo_keeps_its_mail_for_the_mailbox_page(client, demo_mailbox, capsys):
    mail.send_mail(
        "[杏林] 请确认您的邮箱", "打开 http://127.0.0.1:8000/x/", None, ["a@example.test"]
    )
    assert "打开 http://127.0.0.1:8000/x/" in capsys.readouterr().out  # still on the console
    assert len(list(demo_mailbox.glob("*.eml"))) == 1
    page = client.get("/dev/mail/").content.decode()
    assert "[杏林] 请确认您的邮箱" in page
    assert '<a href="http://127.0.0.1:8000/x/"' in page


def test_the_mailbox_page_is_only_for_the_demo(client, demo_mailbox, settings):
    assert client.get("/dev/mail/").status_code == 200  # empty, not an error
    settings.DEBUG = False
    assert client.get("/dev/mail/").status_code == 404


def test_demo_logins_says_where_mail_goes(demo_mailbox, capsys):
    call_command("demo_logins")
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8000/dev/mail/" in out
    assert str(demo_mailbox) in out
