"""Run detail's provenance: the body a run parsed, whether a replay of it is possible, and the Replay button."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import actions, queries
from dashboard.sections.common import load
from jobfeed.importlog import BODY_SHA256, REPLAY_DRY_RUN, REPLAY_OF, LogStatus

RESULT_KEY = "replay-result"


def render(doc: dict[str, Any]) -> None:
    """What the log says of its body; a Replay button where the body is archived (docs/provenance.md)."""
    source = doc.get(REPLAY_OF)
    if source:
        dry = "a dry run: an older body, counted against today's jobs, nothing written"
        what = dry if doc.get(REPLAY_DRY_RUN) else "the feed's latest body, its changes written"
        st.info(f"This run is a replay of [import log `{source}`](?log={source}): {what}.")
    sha = doc.get(BODY_SHA256)
    if not sha or doc.get("status") == LogStatus.RUNNING.value:
        return
    if not load(queries.body_archived, str(sha), what="the archive"):
        st.caption(f"Body `{str(sha)[:12]}…` is not archived (pruned, or ARCHIVE was off): no replay.")
        return
    text_col, button_col = st.columns([5, 1], vertical_alignment="center")
    text_col.caption(f"Body `{str(sha)[:12]}…` is archived: a replay runs it through today's parser, no request.")
    log_id = str(doc["_id"])
    if button_col.button("Replay", key=f"replay-{log_id}", help="queue a replay-import run of this body"):
        with st.spinner("Asking Prefect for a replay…"):
            st.session_state[RESULT_KEY] = (log_id, actions.replay(log_id))
        queries.clear()
    shown = st.session_state.get(RESULT_KEY)
    if not shown or shown[0] != log_id:
        return
    result: actions.RunResult = shown[1]
    if result.ok and result.run:
        st.success(result.message)
        st.link_button("Open the replay in the Prefect UI", result.run.url)
    else:
        st.warning(result.message)
