"""The API docs render offline under the same content security policy as every page.

Short of a browser, the test reads what the served HTML (and the stylesheets it links) would make
a browser load, and checks each against the Content-Security-Policy header of that response: only
our own static files, no inline script, no outside host anywhere in the policy.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


class Loads(HTMLParser):
    """What a page makes the browser fetch or run: (directive, url or None for inline)."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[tuple[str, str | None]] = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            if attributes.get("src"):
                self.loads.append(("script-src", attributes["src"]))
            elif "nonce" not in attributes:
                self._in_inline_script = True
        elif tag == "link" and attributes.get("href"):
            rel = attributes.get("rel", "")
            if rel == "stylesheet":
                self.loads.append(("style-src", attributes["href"]))
            elif rel in {"icon", "shortcut icon"}:
                self.loads.append(("img-src", attributes["href"]))
            elif rel in {"preconnect", "preload", "dns-prefetch"}:
                self.loads.append(("default-src", attributes["href"]))
        elif tag == "img" and attributes.get("src"):
            self.loads.append(("img-src", attributes["src"]))
        elif tag == "style":
            self.loads.append(("style-src", None))

    def handle_data(self, data):
        if self._in_inline_script and data.strip():
            self.loads.append(("script-src", None))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_inline_script = False


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {name: sources for name, *sources in directives}


def sources_for(csp: dict[str, list[str]], directive: str) -> list[str]:
    fallback = {"worker-src": "script-src", "font-src": "default-src"}.get(directive)
    return csp.get(directive) or csp.get(fallback or "default-src") or csp["default-src"]


def static_file(url: str) -> Path:
    assert url.startswith(settings.STATIC_URL), f"{url} is not one of our static files"
    found = finders.find(url.removeprefix(settings.STATIC_URL).split("?")[0])
    assert found, f"{url} is not served"
    return Path(found)


def assert_allowed(csp, directive: str, url: str | None) -> None:
    allowed = sources_for(csp, directive)
    if url is None:
        assert "'unsafe-inline'" in allowed, f"inline {directive} is refused by {allowed}"
    elif url.startswith("data:"):
        assert "data:" in allowed, f"{url[:30]}… is refused by {directive} {allowed}"
    else:
        assert re.match(r"/[^/]", url), f"{url} is not same-origin"
        assert "'self'" in allowed, f"{url} is refused by {directive} {allowed}"


def assert_page_loads_only_what_its_policy_allows(response) -> None:
    assert response.status_code == 200
    csp = policy(response)
    for sources in csp.values():
        for source in sources:
            assert not re.match(r"(https?:|\*|//)", source), f"outside host {source} in the CSP"
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]
    parser = Loads()
    parser.feed(response.content.decode())
    assert parser.loads
    for directive, url in parser.loads:
        assert_allowed(csp, directive, url)
        if url is not None and directive == "style-src":
            css = static_file(url).read_text(encoding="utf-8")
            for reference in re.findall(r"url\(\s*['\"]?([^'\")]+)", css):
                in_font_face = "@font-face" in css
                assert_allowed(csp, "font-src" if in_font_face else "img-src", reference)
            assert "@import" not in css
        elif url is not None and url.startswith(settings.STATIC_URL):
            static_file(url)


def test_swagger_ui_loads_only_our_files_and_runs_no_inline_script(client):
    response = client.get("/api/docs/")
    assert_page_loads_only_what_its_policy_allows(response)
    scripts = re.findall(r'<script src="([^"]+)"', response.content.decode())
    init_script = next(url for url in scripts if url.startswith("/api/docs/"))

    script = client.get(init_script.replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    body = script.content.decode()
    assert "SwaggerUIBundle(" in body
    assert '"/api/schema/"' in body
    # No validator badge fetched from swagger.io.
    assert '"validatorUrl": null' in body


def test_redoc_loads_only_our_files_and_may_start_its_search_worker(client):
    response = client.get("/api/redoc/")
    assert_page_loads_only_what_its_policy_allows(response)
    assert 'spec-url="/api/schema/"' in response.content.decode()
    assert "blob:" in sources_for(policy(response), "worker-src")
    assert "blob:" not in policy(response)["script-src"]
