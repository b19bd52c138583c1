"""What every journey relies on: a page that shows a problem fails the step that saw it."""

from __future__ import annotations

import pytest

# One stack serves all journeys: under xdist they run on one worker (--dist loadgroup).
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_a_missing_page_a_console_error_and_a_blocked_inline_script_each_fail_a_step(people):
    person = people(language="en")
    person.goto("/no-such-page/")
    with pytest.raises(AssertionError, match="HTTP 404"):
        person.step("missing-page")

    person.goto("/")
    person.page.evaluate("console.error('something broke')")
    with pytest.raises(AssertionError, match="something broke"):
        person.step("console-error")

    # Our policy allows scripts from our own origin only: an injected inline script is refused.
    person.page.evaluate(
        "document.body.appendChild(Object.assign(document.createElement('script'),"
        " {textContent: 'window.injected = true'}))"
    )
    person.page.wait_for_timeout(300)
    with pytest.raises(AssertionError, match="CSP violation: script-src"):
        person.step("csp-violation")
    assert person.page.evaluate("window.injected") is None

    person.goto("/")
    person.step("home")  # a clean page passes
