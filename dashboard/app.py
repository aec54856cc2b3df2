"""The jobfeed admin dashboard: `jobfeed dashboard`, or `streamlit run dashboard/app.py`.

Pages are thin scripts in `views/`; they render sections from `sections/`, which read through the
cached queries in `queries.py` and write only through `actions.py`. The folder is deliberately not
named `pages/`: Streamlit treats a `pages/` folder beside the entry script as a legacy multipage app
and, until some session runs this script, serves each file there on its own by URL, skipping this
script's password gate and navigation.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # `streamlit run` puts only dashboard/ on sys.path
    sys.path.insert(0, str(HERE.parent))

import streamlit as st

from dashboard.sections import access, common
from jobfeed.redact import redact_url
from jobfeed.settings import get_settings

st.set_page_config(page_title="jobfeed", page_icon=":material/rss_feed:", layout="wide")

VIEWS = HERE / "views"
# Declared before the gate so a deep link (/run?log=...) still opens its page after signing in; the
# gate stops the script before `navigation.run()`, and the menu stays hidden until then.
navigation = st.navigation([
    st.Page(VIEWS / "history.py", title="Import history", icon=":material/history:", url_path="history", default=True),
    st.Page(VIEWS / "run_detail.py", title="Run detail", icon=":material/search:", url_path="run"),
    st.Page(VIEWS / "feeds.py", title="Feeds", icon=":material/rss_feed:", url_path="feeds"),
    st.Page(VIEWS / "jobs.py", title="Jobs", icon=":material/work:", url_path="jobs"),
    st.Page(VIEWS / "dead_letters.py", title="Dead letters", icon=":material/mail:", url_path="dead-letters"),
    st.Page(VIEWS / "run_now.py", title="Run now", icon=":material/play_arrow:", url_path="run-now"),
], position="sidebar" if access.signed_in() else "hidden")  # fmt: skip
access.require_password()  # before anything else is rendered or queried

common.sidebar_timezone()
settings = get_settings()
st.sidebar.caption(f"Database `{settings.mongodb_db}` at `{redact_url(settings.mongodb_uri)}`")
navigation.run()
