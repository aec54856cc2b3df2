"""The password gate: nothing but a sign-in form until the configured password is given."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dashboard.sections.access import password_matches
from jobfeed.settings import reset_settings
from jobfeed.store import Store
from tests.support.dashboard import no_exception
from tests.support.seed import FEEDS, add_log, texts

pytestmark = pytest.mark.usefixtures("db_name")


def sign_in(at, password: str):
    at.text_input[0].input(password)
    at.button[0].click()  # the form's submit button
    return at.run()


def assert_gated(at) -> None:
    assert [t.value for t in at.title] == ["jobfeed dashboard"]
    assert not at.dataframe and "Import history" not in texts(at) and not at.selectbox  # no data, no time-zone widget
    assert at.text_input[0].proto.type == at.text_input[0].proto.PASSWORD


@pytest.mark.parametrize("where", ["env", "secrets"])
def test_password_is_required_before_anything_shows(open_page, store: Store, monkeypatch, where: str) -> None:
    add_log(store, url=next(iter(FEEDS)), started=datetime.now(UTC))
    secrets = {}
    if where == "env":
        monkeypatch.setenv("DASHBOARD_PASSWORD", "correct horse")
        reset_settings()
    else:
        secrets = {"dashboard_password": "correct horse"}
    at = open_page(secrets=secrets)
    no_exception(at)
    assert_gated(at)

    sign_in(at, "correct hors")
    assert at.error[0].value == "Wrong password."
    assert_gated(at)

    sign_in(at, "correct horse")
    no_exception(at)
    assert at.title[0].value == "Import history" and len(at.dataframe[0].value) == 1
    at.run()  # the session stays signed in
    assert at.title[0].value == "Import history"


def test_other_pages_are_gated_too(open_page, monkeypatch) -> None:
    monkeypatch.setenv("DASHBOARD_PASSWORD", "pw")
    reset_settings()
    at = open_page("jobs")  # a deep link runs app.py too, whose gate stops before navigation
    assert_gated(at)
    assert "Jobs" not in [t.value for t in at.title]


def test_no_password_configured_means_no_gate(open_page) -> None:
    at = open_page()
    assert at.title[0].value == "Import history" and not at.text_input


def test_password_comparison() -> None:
    assert password_matches("s3cret", "s3cret")
    assert not password_matches("s3cre", "s3cret") and not password_matches("", "s3cret")
    assert password_matches("pässwörd", "pässwörd")  # non-ASCII is compared as UTF-8 bytes
