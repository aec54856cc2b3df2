"""The jobfeed admin dashboard: `jobfeed dashboard`, or `streamlit run dashboard/app.py`.

Pages are thin scripts in `pages/`; they render sections from `sections/`, which read through the
cached queries in `queries.py` and write only through `actions.py`.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # `streamlit run` puts only dashboard/ on sys.path
    sys.path.insert(0, str(HERE.parent))

import streamlit as st  # noqa: E402

from dashboard.sections import access, common  # noqa: E402
from jobfeed.redact import redact_url  # noqa: E402
from jobfeed.settings import get_settings  # noqa: E402

st.set_page_config(page_title="jobfeed", page_icon=":material/rss_feed:", layout="wide")
access.require_password()  # before anything else is rendered or queried

PAGES = HERE / "pages"
navigation = st.navigation([
    st.Page(PAGES / "history.py", title="Import history", icon=":material/history:", url_path="history", default=True),
    st.Page(PAGES / "run_detail.py", title="Run detail", icon=":material/search:", url_path="run"),
    st.Page(PAGES / "feeds.py", title="Feeds", icon=":material/rss_feed:", url_path="feeds"),
    st.Page(PAGES / "jobs.py", title="Jobs", icon=":material/work:", url_path="jobs"),
    st.Page(PAGES / "dead_letters.py", title="Dead letters", icon=":material/mail:", url_path="dead-letters"),
    st.Page(PAGES / "run_now.py", title="Run now", icon=":material/play_arrow:", url_path="run-now"),
])  # fmt: skip
common.sidebar_timezone()
settings = get_settings()
st.sidebar.caption(f"Database `{settings.mongodb_db}` at `{redact_url(settings.mongodb_uri)}`")
navigation.run()
