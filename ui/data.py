"""Cached access to the warehouse for the pages.

Every cached function takes the warehouse URL and the data-version token (the newest load id),
so a load from the CLI or the import page shows on the next rerun without a restart.
"""
from __future__ import annotations

import os

import pandas as pd
import streamlit as st

from loaders import status
from warehouse import DEFAULT_DB, Warehouse, open_warehouse


def db_setting() -> str:
    return os.environ.get("CSDASH_DB", DEFAULT_DB)


@st.cache_resource
def _warehouse(db: str) -> Warehouse:
    return open_warehouse(db)


def warehouse() -> Warehouse:
    return _warehouse(db_setting())


@st.cache_data(ttl=300)
def table_counts(url: str, version: int) -> pd.DataFrame:  # noqa: ARG001 - version keys the cache
    return status.table_counts(warehouse())


@st.cache_data(ttl=300)
def load_log(url: str, version: int) -> pd.DataFrame:  # noqa: ARG001
    return status.load_log(warehouse())
