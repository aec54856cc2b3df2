"""Run now: trigger the hourly deployment by hand (as the Prefect UI's "Run" does) and link the new flow run."""

from __future__ import annotations

import streamlit as st

from dashboard import actions, queries

RESULT_KEY = "run-now-result"


def render() -> None:
    """The Run now page."""
    st.title("Run now")
    st.write(
        f"Creates a flow run of the `{actions.DEPLOYMENT}` deployment now. A worker of its work pool runs it, "
        "exactly like a scheduled run; its import logs appear in **Import history** as it goes."
    )
    if st.button("Run now", key="run-now", type="primary"):
        with st.spinner("Asking Prefect for a flow run…"):
            st.session_state[RESULT_KEY] = actions.run_now()
        queries.clear()  # the history page should pick up the new `running` logs at once
    result: actions.RunNowResult | None = st.session_state.get(RESULT_KEY)
    if result is None:
        return
    if result.ok:
        st.success(result.message)
        st.link_button("Open the flow run in the Prefect UI", result.url or "")
        st.caption(f"Flow run `{result.flow_run_id}` · {result.url}")
    else:
        st.warning(result.message)
