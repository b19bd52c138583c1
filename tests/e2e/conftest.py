"""Browser journeys against the product running as `make run` runs it: the web server, a real
Celery worker and beat (core/management/commands/run_demo.py) on a database of their own,
seeded once for the session (tests/e2e/prepare.py).

Chromium is Debian's (`apt-get install chromium`, done by .ci/run), driven by Playwright; no
browser is ever downloaded. On a developer machine without it the journeys are skipped, saying
why; in CI (CI=true) a missing browser fails them.

Every page a journey opens is watched: a console error, an uncaught exception, a Content
Security Policy violation, a request that failed, a response of 400 or more, or (at phone width)
a page wider than the phone fails the step. A screenshot of every step is kept under
test-artifacts/e2e/<test>/.
"""

from __future__ import annotations

import contextlib
import email
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

CHROMIUM = Path(os.environ.get("XINGLIN_E2E_CHROMIUM", "/usr/bin/chromium"))
IN_CI = os.environ.get("CI", "").lower() == "true"
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "e2e"
STARTUP_SECONDS = 600
# runserver checks the whole project first; on a busy 2-core machine that takes a while.
WEB_STARTUP_SECONDS = 180
# Patients are seen in both languages, on a desktop and on a phone (390 px wide).
LANGUAGES = ("zh-hans", "en")
WIDTHS = ("desktop", "phone")
VARIANTS = [f"{language}-{width}" for language in LANGUAGES for width in WIDTHS]
# The stack's own environment: what `make run` gives its processes, whatever this test process
# was started with (its database and broker are the suite's, not the stack's).
NOT_INHERITED = {
    "DATABASE_URL",
    "REDIS_URL",
    "DJANGO_SETTINGS_MODULE",
    "SECRET_KEY",
    "EMAIL_URL",
    "CELERY_TASK_ALWAYS_EAGER",
    "CELERY_TASK_DEFAULT_QUEUE",
    "PYTEST_XDIST_WORKER",
    "PYTEST_XDIST_WORKER_COUNT",
    "PYTEST_CURRENT_TEST",
}


def _browser_missing_reason() -> str:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return ""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    ours = [item for item in items if here in Path(item.path).parents]
    reason = _browser_missing_reason() if ours else ""
    if reason and not IN_CI:
        for item in ours:
            item.add_marker(pytest.mark.skip(reason=reason))


def in_language(language: str, text: str) -> str:
    """What a page in `language` shows for the English source text (our own catalogs)."""
    with translation.override(language):
        return translation.gettext(text)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own server
            return response.status == 200
    except OSError:
        return False


@dataclass
class Stack:
    base_url: str
    var_dir: Path
    world: dict
    log_path: Path

    def mail_to(self, address: str, *, after: float = 0.0, wait: float = 30.0) -> str:
        """The body of the newest message to `address` in the demo mailbox (var/mail)."""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            for path in sorted((self.var_dir / "mail").glob("*.eml"), reverse=True):
                if path.stat().st_mtime < after:
                    break
                message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
                if address in str(message["To"]):
                    part = message.get_body(preferencelist=("plain", "html"))
                    return part.get_content()  # type: ignore[union-attr]
            time.sleep(0.25)
        pytest.fail(f"no mail to {address} within {wait} s")

    def link_in(self, body: str, path_fragment: str) -> str:
        """A link of the mail, on this stack's address."""
        match = re.search(rf"https?://[^\s/]+(\S*{re.escape(path_fragment)}\S*)", body)
        assert match, f"no link with {path_fragment} in:\n{body}"
        return self.base_url + match.group(1)


def _prepare(var_dir: Path, env: dict[str, str]) -> dict:
    """Migrates and seeds the stack's database. With XINGLIN_E2E_CACHE set (a developer
    running the journeys again and again), the prepared database is kept there and copied for
    the next run; delete the folder after a migration or a change to the demo data."""
    cache = Path(os.environ["XINGLIN_E2E_CACHE"]) if os.environ.get("XINGLIN_E2E_CACHE") else None
    if cache is not None and (cache / "world.json").exists():
        shutil.copytree(cache / "var", var_dir, dirs_exist_ok=True)
        return json.loads((cache / "world.json").read_text())
    prepared = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "tests.e2e.prepare", *VARIANTS],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=STARTUP_SECONDS,
        check=False,
    )
    if prepared.returncode != 0:
        pytest.fail(f"preparing the stack failed:\n{prepared.stderr[-6000:]}")
    world = json.loads(prepared.stdout.strip().splitlines()[-1])
    if cache is not None:
        shutil.rmtree(cache, ignore_errors=True)
        shutil.copytree(var_dir, cache / "var", ignore=shutil.ignore_patterns("broker", "mail"))
        (cache / "world.json").write_text(json.dumps(world))
    return world


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    var_dir = tmp_path_factory.mktemp("e2e-stack")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {name: value for name, value in os.environ.items() if name not in NOT_INHERITED}
    env.update(
        DEBUG="true",
        XINGLIN_VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE="tests.e2e.stack_settings",
        SITE_URL=base_url,
        PYTHONUNBUFFERED="1",
    )
    log_path = var_dir / "stack.log"
    world = _prepare(var_dir, env)

    with log_path.open("wb") as log:
        supervisor = subprocess.Popen(  # noqa: S603 - our own interpreter and command
            [
                sys.executable,
                "manage.py",
                "run_demo",
                "--addr",
                f"127.0.0.1:{port}",
                "--concurrency",
                "1",
                "--grace",
                "10",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + WEB_STARTUP_SECONDS
        while not _answers(f"{base_url}/healthz"):
            if supervisor.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the stack did not start:\n{log_path.read_text()[-4000:]}")
            time.sleep(0.3)
        yield Stack(base_url=base_url, var_dir=var_dir, world=world, log_path=log_path)
    finally:
        if supervisor.poll() is None:
            supervisor.send_signal(signal.SIGTERM)
            try:
                supervisor.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(supervisor.pid, signal.SIGKILL)
                supervisor.wait(timeout=5)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    reason = _browser_missing_reason()
    if reason:
        pytest.fail(reason)  # skipped before this outside CI; in CI a missing browser fails
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield chromium
        chromium.close()


# A CSP violation reaches the console too, but only the event names the directive.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


@dataclass
class Watched:
    """Problems the person's pages showed since the last step."""

    problems: list[str] = field(default_factory=list)


class Person:
    """One person's browser: their language and screen, the page, and the step screenshots."""

    VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}

    def __init__(self, browser, stack: Stack, *, language: str, width: str, folder: Path):
        phone = width == "phone"
        self.language, self.width, self.stack, self.folder = language, width, stack, folder
        self.context = browser.new_context(
            viewport=self.VIEWPORTS[width],
            is_mobile=phone,
            has_touch=phone,
            device_scale_factor=1,
            locale="zh-CN" if language == "zh-hans" else "en-US",
            timezone_id="Asia/Shanghai",
        )
        self.context.set_default_timeout(15_000)
        self.context.add_init_script(REPORT_CSP_VIOLATIONS)
        self.watched = Watched()
        self.page = self.context.new_page()
        self._watch(self.page)
        self.step_number = 0

    def _watch(self, page) -> None:
        problems = self.watched.problems
        page.on(
            "console",
            lambda m: m.type == "error" and problems.append(f"console error: {m.text}"),
        )
        page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))

        def on_request_failed(request) -> None:
            # ERR_ABORTED is the browser itself dropping a request because the page moved on
            # (a favicon still loading when a form is submitted); the server never failed it.
            # Refusals (CSP, a closed port, a reset connection) carry their own error names.
            if request.failure != "net::ERR_ABORTED":
                problems.append(
                    f"request failed: {request.method} {request.url} ({request.failure})"
                )

        page.on("requestfailed", on_request_failed)

        def on_response(response) -> None:
            if response.status >= 400:
                problems.append(f"HTTP {response.status}: {response.request.method} {response.url}")

        page.on("response", on_response)

    def t(self, text: str) -> str:
        return in_language(self.language, text)

    def t_in_context(self, context: str, text: str) -> str:
        with translation.override(self.language):
            return translation.pgettext(context, text)

    def goto(self, path: str) -> None:
        self.page.goto(self.stack.base_url + path)

    def step(self, name: str) -> None:
        """Ends a step: the screenshot is kept, and whatever went wrong on the page fails it."""
        self.step_number += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(
            path=str(self.folder / f"{self.step_number:02d}-{name}.png"), full_page=True
        )
        if self.width == "phone":
            overflow = self.page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 0:
                self.watched.problems.append(f"the page is {overflow} px wider than the phone")
        self.check()

    def check(self) -> None:
        problems, self.watched.problems[:] = list(self.watched.problems), []
        assert not problems, "the page showed problems:\n" + "\n".join(problems)

    def log_in(self, email_address: str, password: str, *, totp_secret: str = "") -> None:
        self.goto("/accounts/login/")
        self.page.fill("input[name=login]", email_address)
        self.page.fill("input[name=password]", password)
        self.page.locator("main form button[type=submit]").last.click()
        if totp_secret:
            self.page.fill("input[name=code]", totp_code(totp_secret, account=email_address))
            self.page.locator(
                "form[action$='/2fa/authenticate/'] button[type=submit]"
            ).first.click()
        self.page.wait_for_load_state()

    def close(self) -> None:
        self.context.close()


def reload_until(person: Person, condition, *, seconds: float, what: str) -> None:
    """Reloads the person's page until `condition()` holds: what the stack's worker and beat
    do arrives in their own time. `seconds` is a guard against a hang, not a speed figure."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            person.step("gave-up-waiting")
            pytest.fail(f"{what} not seen within {seconds:.0f} s")
        time.sleep(1.5)
        person.page.reload()


_last_totp_period: dict[str, int] = {}


def totp_code(secret: str, *, account: str) -> str:
    """The authenticator's code now. A code is accepted once per account: the next one the
    same account asks for waits for the next 30-second period, as a person waits for a new
    code."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    # Typing a code takes a moment: one made in the last seconds of its period would reach
    # the server in the next, where it is refused; wait for the next code instead.
    if 30 - time.time() % 30 < 3:
        time.sleep(30 - time.time() % 30 + 0.1)
    period = int(time.time()) // 30
    if _last_totp_period.get(account, -1) >= period:
        time.sleep((period + 1) * 30 - time.time() + 0.5)
        period = int(time.time()) // 30
    _last_totp_period[account] = period
    return format_hotp_value(hotp_value(secret, period))


@pytest.fixture
def people(browser, stack, request) -> Iterator:
    """`people(language=..., width=...)` opens one person's browser for this test."""
    folder_name = re.sub(r"[^\w.-]+", "_", request.node.name)
    folder = ARTIFACTS / folder_name
    shutil.rmtree(folder, ignore_errors=True)
    opened: list[Person] = []

    def open_person(*, language: str, width: str = "desktop", who: str = "") -> Person:
        person = Person(
            browser, stack, language=language, width=width, folder=folder / (who or "person")
        )
        opened.append(person)
        return person

    yield open_person
    failed = getattr(request.node, "failed_call", False)
    for person in opened:
        if failed:
            with contextlib.suppress(Exception):
                person.page.screenshot(path=str(person.folder / "failed.png"), full_page=True)
        person.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.when == "call" and report.failed:
        item.failed_call = True  # type: ignore[attr-defined]
    return report
