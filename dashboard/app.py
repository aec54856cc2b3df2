"""The jobfeed admin dashboard: `jobfeed dashboard`, or `streamlit run dashboard/app.py`.

Each page is a section's `render` function (`st.Page` takes a callable), so every page runs through
this script: its password gate and navigation. Sections read through the cached queries in
`queries.py` and write only through `actions.py`. There is deliberately no `pages/` folder: Streamlit
would serve each file there on its own by URL, skipping the gate.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # `streamlit run` puts only dashboard/ on sys.path
    sys.path.insert(0, str(HERE.parent))

import streamlit as st

import jobfeed
from dashboard.sections import (
    access,
    common,
    dead_letters,
    duplicates,
    feeds,
    history,
    job_detail,
    jobs,
    quality,
    run_detail,
    run_now,
)
from jobfeed.redact import redact_url
from jobfeed.settings import get_settings

st.set_page_config(page_title="jobfeed", page_icon=":material/rss_feed:", layout="wide")

# Declared before the gate so a deep link (/run?log=...) still opens its page after signing in; the
# gate stops the script before `navigation.run()`, and the menu stays hidden until then.
navigation = st.navigation([
    st.Page(history.render, title="Import history", icon=":material/history:", url_path="history", default=True),
    st.Page(run_detail.render, title="Run detail", icon=":material/search:", url_path="run"),
    st.Page(feeds.render, title="Feeds", icon=":material/rss_feed:", url_path="feeds"),
    st.Page(jobs.render, title="Jobs", icon=":material/work:", url_path="jobs"),
    st.Page(job_detail.render, title="Job detail", icon=":material/description:", url_path=job_detail.JOB_PAGE),
    st.Page(duplicates.render, title="Duplicates", icon=":material/content_copy:", url_path="duplicates"),
    st.Page(dead_letters.render, title="Dead letters", icon=":material/mail:", url_path="dead-letters"),
    st.Page(quality.render, title="Data quality", icon=":material/insights:", url_path="quality"),
    st.Page(run_now.render, title="Run now", icon=":material/play_arrow:", url_path="run-now"),
], position="sidebar" if access.signed_in() else "hidden")  # fmt: skip
access.require_password()  # before anything else is rendered or queried

common.sidebar_timezone()
settings = get_settings()
st.sidebar.caption(f"Database `{settings.mongodb_db}` at `{redact_url(settings.mongodb_uri)}`")
st.sidebar.caption(f"jobfeed {jobfeed.__version__}")  # the footer: which release this dashboard is
navigation.run()
