"""The password gate: when DASHBOARD_PASSWORD (or the `dashboard_password` secret) is set, nothing shows without it."""

from __future__ import annotations

import hmac

import streamlit as st

from jobfeed.settings import get_settings

AUTH_KEY = "authenticated"
SECRET_NAMES = ("dashboard_password", "DASHBOARD_PASSWORD")  # .streamlit/secrets.toml spellings


def configured_password() -> str | None:
    """The password to ask for: the setting first, else Streamlit secrets; None = no gate."""
    setting = get_settings().dashboard_password
    if setting is not None:
        return setting.get_secret_value()
    try:
        for name in SECRET_NAMES:
            value = st.secrets.get(name)
            if value:
                return str(value)
    except FileNotFoundError:  # no secrets.toml at all (StreamlitSecretNotFoundError subclasses it)
        return None
    return None


def password_matches(given: str, expected: str) -> bool:
    """Constant-time comparison, so response time says nothing about how much of a guess was right."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def signed_in() -> bool:
    """True when no password is configured or this session has given it."""
    return bool(st.session_state.get(AUTH_KEY)) or configured_password() is None


def require_password() -> None:
    """Show a sign-in form and stop the script unless no password is set or this session signed in."""
    expected = configured_password()
    if expected is None or st.session_state.get(AUTH_KEY):
        return
    st.title("jobfeed dashboard")
    with st.form("sign-in"):
        given = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        if password_matches(given, expected):
            st.session_state[AUTH_KEY] = True
            st.rerun()
        st.error("Wrong password.")
    st.stop()
