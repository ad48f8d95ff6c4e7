"""Streamlit-only helpers: the warehouse handle and cached wrappers keyed by the data version."""
