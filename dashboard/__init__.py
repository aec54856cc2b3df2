"""jobfeed admin dashboard (Streamlit): pages -> sections -> queries (cached, read-only) / actions."""
