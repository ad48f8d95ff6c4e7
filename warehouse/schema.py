"""Every warehouse table, and every upgrade, in one place.

The data tables (one per export kind of ``warehouse/kinds.py``) hold one row per natural key (``KEYS``); loads replace rows by that key.
``load_id`` and ``line_no`` on every data row say which load and which line of its file the row
came from, so any figure can be traced back to the export.

Upgrades: ``MIGRATIONS[n]`` takes a warehouse from version n to n+1.  ``ensure_schema`` creates
missing tables of the current version and runs the migrations a warehouse still needs, inside
one transaction.
"""
from __future__ import annotations

from typing import Callable

import sqlalchemy as sa

from warehouse import clickhouse
from warehouse.errors import WarehouseError
from warehouse.kinds import SCHEMAS, Kind

SCHEMA_VERSION = 10
metadata = sa.MetaData()

T, TS, F, I, B, D = sa.Text, sa.DateTime, sa.Double, sa.Integer, sa.Boolean, sa.Date
MONEY = sa.Numeric(18, 2)


def _table(name: str, *columns: tuple[str, object], provenance: bool = True) -> sa.Table:
    cols = [sa.Column(n, t) for n, t in columns]
    if provenance:
        cols += [sa.Column("load_id", I), sa.Column("line_no", I)]
    return sa.Table(name, metadata, *cols)


# The data tables, one per export kind, built from its declaration (warehouse/kinds.py): its columns
# (and those the load derives) with their storage types, then provenance.
STORAGE = {
    Kind.text: T, Kind.id: T, Kind.vocab: T, Kind.timestamp: TS, Kind.date: D, Kind.month: D,
    Kind.duration: F, Kind.number: F, Kind.money: MONEY, Kind.int: I, Kind.bool: B,
}
for _schema in SCHEMAS.values():
    _table(_schema.kind, *((c.name, STORAGE[c.kind]) for c in _schema.table_columns))
# Per-item counts of the paper forms, added to scorecard_inputs in version 3 (the migration's own
# list: a migration is history and does not follow later declarations).
SCORECARD_ITEM_COLUMNS = (
    "qa_greeting", "qa_agent_number", "qa_closing", "qa_wording", "qa_uncivil", "qa_off_topic",
    "qa_notes_missing", "qa_forced_hangup",
    "dis_late_early", "dis_proxy_clock", "dis_absence", "dis_duty_report", "dis_off_post", "dis_leave_days",
    "dis_games", "dis_chat", "dis_websites", "dis_phone", "dis_smoking", "dis_insubordination",
)
load_log = _table(
    "load_log",
    ("load_id", I), ("file_name", T), ("sha256", T), ("kind", T), ("status", T), ("sheet", T),
    ("encoding", T), ("rows_read", I), ("rows_inserted", I), ("rows_replaced", I), ("rows_rejected", I),
    ("rows_skipped", I), ("orphans", I), ("ignored_columns", T), ("notes", T), ("duration_seconds", F),
    ("loaded_by", T), ("loaded_at", TS),
    # version 4: the mapping and roster the file was loaded with (digest), and the load's warnings
    ("context", T), ("warnings", T),
    provenance=False,
)
rejects = _table(
    "rejects",
    ("load_id", I), ("file_name", T), ("kind", T), ("line_no", I), ("reason", T), ("raw_row", T),
    # version 4: the row's natural key (when it parsed) and the load that resolved the reject
    ("row_key", T), ("resolved_load_id", I),
    provenance=False,
)
# ---- access (warehouse/access.py): who may use the dashboard, and what was done by whom
# One row per viewer: role and scope (JSON lists per level; empty = no limit on that level).
viewers = _table(
    "viewers", ("email", T), ("subject", T), ("name", T), ("role", T), ("regions", T), ("stores", T), ("teams", T),
    ("updated_by", T), ("updated_at", TS),
    provenance=False,
)
audit_log = _table(
    "audit_log", ("logged_at", TS), ("actor", T), ("action", T), ("target", T), ("detail", T),
    provenance=False,
)
# Named mapping profiles (a vendor's export → our columns), in the mapping file's shape (JSON).
mapping_profiles = _table(
    "mapping_profiles", ("name", T), ("kind", T), ("body", T), ("updated_by", T), ("updated_at", TS),
    ("last_used_at", TS),
    provenance=False,
)
# Roll-up tables the metric layer declares and loads keep current (warehouse/rollups.py); version 6
# (every_month: version 7).
rollups = _table(
    "rollups", ("name", T), ("source", T), ("grain", T), ("parent", T), ("sql", T), ("params", T), ("reads", T),
    ("lookback_days", I), ("fingerprint", T), ("first_month", D), ("last_month", D), ("data_version", I),
    ("built_at", TS), ("every_month", B),
    provenance=False,
)
schema_version = _table("schema_version", ("version", I), provenance=False)
# Metric settings (metrics/settings.py declares every key, its default and its check); value is JSON.
settings = _table(
    "settings", ("key", T), ("value", T), ("updated_by", T), ("updated_at", TS), provenance=False,
)
# Targets per KPI: level "all" / "region" / "store" / "team", in force from effective_month on.
targets = _table(
    "targets",
    ("kpi", T), ("level", T), ("scope_value", T), ("effective_month", D), ("target", F), ("amber_band", F),
    ("updated_by", T), ("updated_at", TS),
    provenance=False,
)
# ---- appraisal (appraisal/): rules in force per month, edits, publications, follow-up
# A rule value (JSON) in force from effective_month until the key's next row.
appraisal_rules = _table(
    "appraisal_rules", ("key", T), ("value", T), ("effective_month", D), ("updated_by", T), ("updated_at", TS),
    provenance=False,
)
# Calls a supervisor excused from A1 (not answered within the rings) with the reason.
appraisal_excusals = _table(
    "appraisal_excusals", ("ticket_id", T), ("reason", T), ("excused_by", T), ("excused_at", TS),
    provenance=False,
)
# Every change made to scorecard_inputs in the app: one row per cell.
scorecard_input_audit = _table(
    "scorecard_input_audit", ("month", D), ("agent_id", T), ("column_name", T), ("old_value", T),
    ("new_value", T), ("changed_by", T), ("changed_at", TS),
    provenance=False,
)
# A published month's scorecards, frozen: one row per agent with its full working as JSON.
appraisal_published = _table(
    "appraisal_published", ("month", D), ("division", T), ("agent_id", T), ("score", F), ("rank", I),
    ("record", T), ("rules_version", T), ("published_by", T), ("published_at", TS),
    provenance=False,
)
appraisal_publish_log = _table(
    "appraisal_publish_log", ("month", D), ("division", T), ("action", T), ("agents", I),
    ("rules_version", T), ("published_by", T), ("published_at", TS),
    provenance=False,
)
# Rectification plans (整改方案) of the bottom agents of a published month.
rectification_plans = _table(
    "rectification_plans", ("month", D), ("division", T), ("agent_id", T), ("due_date", D),
    ("submitted_at", TS), ("accepted_at", TS), ("accepted_by", T), ("note", T), ("updated_by", T),
    ("updated_at", TS),
    provenance=False,
)
# ---- monthly review packs (reports/): frozen figures, their log, comments and action items
review_packs = _table(
    "review_packs", ("pack_id", I), ("month", D), ("scope_level", T), ("scope_value", T), ("viewer_scope", T),
    ("content", T),
    ("rules_version", T), ("created_by", T), ("created_at", TS), ("refreshed_at", TS),
    provenance=False,
)
review_pack_log = _table("review_pack_log", ("pack_id", I), ("action", T), ("by_user", T), ("logged_at", TS),
                         provenance=False)
review_comments = _table(
    "review_comments", ("pack_id", I), ("section", T), ("body", T), ("updated_by", T), ("updated_at", TS),
    provenance=False,
)
review_actions = _table(
    "review_actions", ("action_id", I), ("month", D), ("scope_level", T), ("scope_value", T), ("section", T),
    ("title", T), ("owner", T), ("due_date", D), ("status", T), ("updated_by", T), ("updated_at", TS),
    ("closed_at", TS),
    provenance=False,
)
# The company's rules as alerts (alerts/): each rule a row an admin edits; each occurrence an alert
# with its state; every change of state in the log.
alert_rules = _table(
    "alert_rules", ("rule_id", I), ("kind", T), ("kpi", T), ("scope_level", T), ("scope_value", T),
    ("threshold", F), ("notify", T), ("enabled", B), ("updated_by", T), ("updated_at", TS),
    provenance=False,
)
alerts = _table(
    "alerts", ("alert_id", I), ("rule_id", I), ("kind", T), ("occurrence", T), ("period", T), ("region", T),
    ("store", T), ("team", T), ("subject", T), ("kpi", T), ("value", F), ("detail", T), ("link", T),
    ("status", T), ("opened_at", TS), ("acknowledged_by", T), ("acknowledged_at", TS), ("resolved_by", T),
    ("resolved_at", TS),
    provenance=False,
)
alert_sends = _table(   # one row per alert and channel: sent once, failures retried on the next run
    "alert_sends", ("alert_id", I), ("channel", T), ("status", T), ("attempts", I), ("sent_at", TS), ("error", T),
    provenance=False,
)
alert_log = _table(
    "alert_log", ("alert_id", I), ("action", T), ("by_whom", T), ("logged_at", TS), ("note", T),
    provenance=False,
)
# Every change made to a complaint's stage fields on the 投诉闭环 page: one row per field.
complaint_log = _table(
    "complaint_log", ("complaint_id", T), ("stage", T), ("column_name", T), ("old_value", T), ("new_value", T),
    ("changed_by", T), ("changed_at", TS), ("load_id", I),
    provenance=False,
)
# The complaint reports (reports/complaints.py): the weekly report and the monthly notices, frozen like packs.
complaint_reports = _table(
    "complaint_reports", ("report_id", I), ("kind", T), ("period", T), ("level", T), ("value", T),
    ("viewer_scope", T), ("content", T), ("created_by", T), ("created_at", TS), ("refreshed_at", TS),
    provenance=False,
)

# Natural keys: a re-export replaces rows with the same key (the newer load wins).
KEYS: dict[str, tuple[str, ...]] = {kind: schema.key for kind, schema in SCHEMAS.items()}
# the parts of a natural key every row has (a required column): matched with "=", which every engine
# can hash; an optional part (a roster period's start, a stock line's item) with IS NOT DISTINCT FROM
_REQUIRED = {kind: {c.name for c in schema.columns if c.required} for kind, schema in SCHEMAS.items()}


def key_match(kind: str, left: str = "t", right: str = "s") -> str:
    """SQL true when rows ``left`` and ``right`` of ``kind`` have the same natural key.  "=" where it
    can: PostgreSQL cannot hash IS NOT DISTINCT FROM, and a correlated EXISTS over it made a 1 M-row
    re-export into a 10 M warehouse on ClickHouse run for minutes."""
    return " AND ".join(f"{left}.{k} = {right}.{k}" if k in _REQUIRED[kind] else
                        f"{left}.{k} IS NOT DISTINCT FROM {right}.{k}" for k in KEYS[kind])


EVENTS: dict[str, str | None] = {kind: schema.event for kind, schema in SCHEMAS.items()}   # ClickHouse's partitions
DATA_TABLES = tuple(KEYS)
TABLES = {t.name: t for t in metadata.sorted_tables}

# Indexes only on PostgreSQL: DuckDB scans columnar data fast and its ART indexes slow bulk upserts.
for _name, _key in KEYS.items():
    sa.Index(f"ix_{_name}_key", *(TABLES[_name].c[k] for k in _key)).ddl_if(dialect="postgresql")
for _index, _name, _column in (("ix_callbacks_ticket", "callbacks", "ticket_id"),
                               ("ix_tickets_created", "tickets", "created_at"),
                               ("ix_sales_customer", "sales", "customer_id")):
    sa.Index(_index, TABLES[_name].c[_column]).ddl_if(dialect="postgresql")

def _no_change(conn: sa.Connection) -> None:
    """A version that only adds tables: ``create_all`` after the migrations creates them."""


def _scorecard_items(conn: sa.Connection) -> None:
    """2 → 3: per-item counts on scorecard_inputs; the appraisal tables are created afterwards."""
    # information_schema, not sa.inspect: duckdb_engine's column reflection queries pg_catalog
    have = {r[0] for r in conn.execute(sa.text(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'scorecard_inputs'"))}
    for name in SCORECARD_ITEM_COLUMNS:
        if name not in have:
            conn.execute(sa.text(f"ALTER TABLE scorecard_inputs ADD COLUMN {name} INTEGER"))


# Columns version 4 added to existing tables (the migration's own list, as above).
LOUD_LOAD_COLUMNS = (("load_log", "context", "TEXT"), ("load_log", "warnings", "TEXT"),
                     ("rejects", "row_key", "TEXT"), ("rejects", "resolved_load_id", "INTEGER"))


def _loud_loads(conn: sa.Connection) -> None:
    """3 → 4: the load's context and warnings, rejects resolved by a later load; mapping profiles."""
    for table, name, sql_type in LOUD_LOAD_COLUMNS:
        have = {r[0] for r in conn.execute(sa.text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = :t"), {"t": table})}
        if name not in have:
            conn.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN {name} {sql_type}"))


def _rollup_months(conn: sa.Connection) -> None:
    """6 → 7: ``rollups.every_month``; the roll-ups that need it are stale until rebuilt (their
    fingerprint includes it), and read from the facts until then."""
    have = {r[0] for r in conn.execute(sa.text(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'rollups'"))}
    if have and "every_month" not in have:   # no table (a warehouse older than 6): create_all makes it
        conn.execute(sa.text("ALTER TABLE rollups ADD COLUMN every_month BOOLEAN"))


def _store_operations(conn: sa.Connection) -> None:
    """9 → 10: the cost of goods sold on orders (``sales.cost``); the store kinds' tables are created
    afterwards.  The sales roll-ups' fingerprints do not change: no KPI of theirs reads the cost."""
    have = {r[0] for r in conn.execute(sa.text(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'sales'"))}
    if have and "cost" not in have:
        conn.execute(sa.text("ALTER TABLE sales ADD COLUMN cost NUMERIC(18, 2)"))


MIGRATIONS: dict[int, Callable[[sa.Connection], None]] = {
    1: _no_change,  # 1 → 2: settings and targets tables (metric layer)
    2: _scorecard_items,  # 2 → 3: appraisal and review packs
    3: _loud_loads,  # 3 → 4: loud loads, fix and reload, mapping profiles
    4: _no_change,  # 4 → 5: viewers and the audit log (access)
    5: _no_change,  # 5 → 6: roll-ups (chain scale); built by `python -m metrics rollups build` or the app
    6: _rollup_months,  # 6 → 7: roll-ups built only for the months with data (every_month for the backlog)
    7: _no_change,  # 7 → 8: alert rules, alerts and their log (alerts/)
    8: _no_change,  # 8 → 9: the complaint register (kind complaints) and its stage log
    9: _store_operations,  # 9 → 10: store operations (stores, targets, audits, stock, receivables, campaigns)
}


def current_version(conn: sa.Connection) -> int:
    if not sa.inspect(conn).has_table("schema_version"):
        return 0
    return int(conn.execute(sa.text("SELECT coalesce(max(version), 0) FROM schema_version")).scalar())


def ensure_schema(wh) -> int:
    """Create or upgrade the warehouse; returns the schema version now in force."""
    with wh.begin() as conn:
        version = current_version(conn)
        if version == SCHEMA_VERSION and all(sa.inspect(conn).has_table(n) for n in TABLES):
            return version
        if version == 0 and conn.dialect.name == clickhouse.DIALECT:   # its own DDL (engines, partitions)
            clickhouse.create_all(conn, metadata.sorted_tables, KEYS, EVENTS)
            conn.execute(schema_version.insert().values(version=SCHEMA_VERSION))
            return SCHEMA_VERSION
        if version == 0:
            metadata.create_all(conn)
            conn.execute(schema_version.insert().values(version=SCHEMA_VERSION))
            return SCHEMA_VERSION
        if version > SCHEMA_VERSION:
            raise WarehouseError("warehouse.too_new", version=version, supported=SCHEMA_VERSION)
        for v in range(version, SCHEMA_VERSION):
            MIGRATIONS[v](conn)
        metadata.create_all(conn)  # tables added by later versions
        conn.execute(schema_version.delete())
        conn.execute(schema_version.insert().values(version=SCHEMA_VERSION))
        return SCHEMA_VERSION
