"""Steps the browser journeys share."""

from __future__ import annotations

from tests.factories import TEST_PASSWORD


def sign_in(page, live_server, email):
    """Sign in through the real form and land on the portfolio."""
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(live_server.url + "/")


def page_problems(page):
    """A list that fills with the page's script errors and CSP violations."""
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on(
        "console",
        lambda msg: "Content Security Policy" in msg.text and problems.append(msg.text),
    )
    return problems
