"""Reusable page sections: each renders one concern and reads only through dashboard.queries."""
