"""The main pages in zh-hans show no English word that is not a name or a code.

The demo is seeded, then each role's pages are visited the way a reader would reach them: from
the role's start pages, following the links on each page (one page for each kind of address,
e.g. one product of the catalog). The visible text (no tags, scripts, styles or attribute values)
may hold Latin letters only as names and codes: drug and device names, ICD-10 codes, units,
brands, addresses, e-mail addresses and the like.
"""

from __future__ import annotations

import io
import re
from collections import deque
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

from accounts.models import User

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
PAGES_PER_ROLE = 80
START_PAGES = {
    "patient@xinglin.test": ["/", "/shop/", "/insurance/claims/", "/insurance/settlements/"],
    "doctor@xinglin.test": ["/doctor/consultations/", "/doctor/renewals/", "/doctor/mdt/"],
    "pharmacist@xinglin.test": ["/pharmacist/review/", "/pharmacist/dispensing/"],
}
# Not pages of ours in the reader's language: the admin, the API and its docs, files, the
# demo mailbox, leaving (log out, language switch) and the unauthenticated prescription check.
SKIPPED_PREFIXES = ("/admin/", "/api/", "/_allauth/", "/static/", "/media/", "/dev/", "/i18n/")
SKIPPED_PREFIXES += ("/accounts/logout/",)
SKIPPED_SUFFIXES = (".pdf", "/pdf/", "/fhir/", "/download/", ".ics")

# Words that are names or codes, the same in a Chinese text.
ALLOWED = {
    # units and measures
    "mg",
    "ml",
    "mL",
    "g",
    "kg",
    "cm",
    "mmol",
    "mmHg",
    "bpm",
    "IU",
    "μg",
    "mcg",
    "L",
    "km",
    "BMI",
    "HbA1c",
    "SpO",
    "PDC",
    "eGFR",
    "MB",
    "KB",
    # codes, formats and standards
    "ID",
    "PDF",
    "OTC",
    "Rx",
    "ICD",
    "ATC",
    "FHIR",
    "SKU",
    "QR",
    "TOTP",
    "EOB",
    "ICP",
    "GSP",
    "APP",
    "App",
    "SMS",
    "CNY",
    "API",
    "URL",
    "OK",
    "VIP",
    "IC",
    "ETA",
    "AM",
    "PM",
    "JPEG",
    "PNG",
    "IP",
    "Cookie",
    # clinical abbreviations Chinese medical writing uses as they are
    "CT",
    "MRI",
    "ECG",
    "ACE",
    "ARB",
    "NSAID",
    "NSAIDs",
    "QT",
    "INR",
    "Child-Pugh",
    "Child",
    "Pugh",
    # prescription frequency codes, kept on the prescriber's and pharmacist's pages
    "QD",
    "BID",
    "TID",
    "QID",
    "QN",
    "QHS",
    "QOD",
    "QW",
    "PRN",
    "STAT",
    # a language named in itself, as language pickers do
    "English",
    # the product's own name, brands and places in the demo data
    "Xinglin",
    "EN",
    "SOHO",
    "iHealth",
    "Omron",
    "Yuwell",
    "Sinocare",
    "Roche",
    "Bayer",
}
# Single letters are grades and codes (维生素C, Child-Pugh A, 乙类 B): only words are looked at.
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]")
EMAIL = re.compile(r"\S+@\S+")
# A word glued to digits is a code (E11.9, SKU-1002, 京A·D2026, 10mg).
CODE = re.compile(r"[A-Za-z0-9·._/-]*\d[A-Za-z0-9·._/-]*")
# A Chinese leaflet names the drug in English too: 【英文名称】Aciclovir Cream.
LEAFLET_ENGLISH_NAME = re.compile(r"【英文名称】[^【]*")
LINK = re.compile(r'href="(/[^"#]*)')


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style|template)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<!--.*?-->", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", html)
    for entity, char in (("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">"), ("&nbsp;", " ")):
        text = text.replace(entity, char)
    return re.sub(r"\s+", " ", text)


def english_words(text: str, names: set[str]) -> set[str]:
    text = CODE.sub(" ", EMAIL.sub(" ", LEAFLET_ENGLISH_NAME.sub(" ", text)))
    return {word for word in LATIN_WORD.findall(text) if word not in ALLOWED | names}


def page_kind(path: str) -> str:
    """One visit for each kind of address: /shop/products/12/ and /shop/products/13/ are one."""
    return re.sub(r"/[A-Z0-9]*\d[A-Za-z0-9-]*(?=/|$)", "/N", urlsplit(path).path)


def visit(client, starts: list[str]) -> dict[str, str]:
    seen: dict[str, str] = {}
    queue = deque(starts)
    while queue and len(seen) < PAGES_PER_ROLE:
        path = queue.popleft()
        kind = page_kind(path)
        if kind in seen or path.startswith(SKIPPED_PREFIXES) or path.endswith(SKIPPED_SUFFIXES):
            continue
        response = client.get(path, **ZH)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        seen[kind] = html
        queue.extend(link.replace("&amp;", "&") for link in LINK.findall(html))
    return seen


def demo_names() -> set[str]:
    """Latin-script names in the demo data are names (e.g. a brand or a product's English
    name would still be caught: only people's and hospitals' names are taken)."""
    words: set[str] = set()
    for user in User.objects.all():
        words.update(LATIN_WORD.findall(f"{user.first_name} {user.last_name}"))
    return words


def test_the_main_chinese_pages_show_no_english(client):
    call_command("seed_demo", stdout=io.StringIO())
    names = demo_names()
    found: dict[str, set[str]] = {}
    for email, starts in START_PAGES.items():
        client.force_login(User.objects.get(email=email))
        pages = visit(client, starts)
        assert len(pages) >= len(starts), f"{email} reached too few pages: {sorted(pages)}"
        for kind, html in pages.items():
            words = english_words(visible_text(html), names)
            if words:
                found[f"{email} {kind}"] = words
        client.logout()
    report = "\n".join(f"{where}: {' '.join(sorted(words))}" for where, words in found.items())
    assert not found, "English on zh-hans pages:\n" + report


def test_the_word_finder_keeps_codes_and_catches_words():
    html = "<p>诊断 E11.9 二甲双胍 500mg <b>OTC</b> Pending review</p><script>x</script>"
    text = visible_text(html)
    assert english_words(text, set()) == {"Pending", "review"}
