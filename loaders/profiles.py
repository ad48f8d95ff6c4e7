"""Mapping profiles: a named mapping (e.g. "天润 通话记录", "淘宝 订单报表") kept in the warehouse.

A profile has one row per kind it maps (``mapping_profiles``: name, kind, body = the kind's section of
a mapping file as JSON).  It exports to and imports from the mapping file's TOML, so a profile and a
``--mapping`` file are interchangeable.  Loading with a profile stamps it as the kind's last used one,
which the import page offers first for the next upload of that kind.

Who may save: anyone, until sign-in exists (issue 16 restricts saving to admins).
"""
from __future__ import annotations

from datetime import datetime
import json

import sqlalchemy as sa

from loaders.errors import LoadError
from loaders.mapping import Mapping, parse_mapping, parse_mapping_text
from warehouse.db import Warehouse, actor
from warehouse.schema import TABLES

_T = TABLES["mapping_profiles"]
MAX_NAME = 80


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def _check_name(name: str) -> str:
    name = " ".join(str(name or "").split())
    if not name or len(name) > MAX_NAME or any(ord(ch) < 32 for ch in name):
        raise LoadError("profile.bad_name", name=name[:MAX_NAME], most=MAX_NAME)
    return name


def save_profile(wh: Warehouse, name: str, mapping: Mapping, user: str | None = None) -> list[str]:
    """Save (or replace) the kinds ``mapping`` declares under ``name``; returns those kinds."""
    name = _check_name(name)
    data = mapping.to_data()
    if not data:
        raise LoadError("profile.empty", name=name)
    with wh.begin() as conn:
        for kind, section in data.items():
            conn.execute(_T.delete().where(_T.c.name == name, _T.c.kind == kind))
            conn.execute(_T.insert().values(name=name, kind=kind, body=json.dumps(section, ensure_ascii=False),
                                            updated_by=user or actor(), updated_at=_now()))
    return list(data)


def profiles(wh: Warehouse, kind: str | None = None) -> list[dict]:
    """Every profile (one entry per name and kind), the most recently used first."""
    q = sa.select(_T.c.name, _T.c.kind, _T.c.updated_by, _T.c.updated_at, _T.c.last_used_at)
    if kind:
        q = q.where(_T.c.kind == kind)
    with wh.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q)]
    return sorted(rows, key=lambda r: (r["last_used_at"] or datetime.min, r["name"]), reverse=True)


def load_profile(wh: Warehouse, name: str) -> Mapping:
    """The profile as a mapping (every kind it declares); a LoadError naming the known ones if none."""
    with wh.connect() as conn:
        rows = conn.execute(sa.select(_T.c.kind, _T.c.body).where(_T.c.name == name)).all()
    if not rows:
        known = sorted({p["name"] for p in profiles(wh)})
        raise LoadError("profile.unknown", name=name, known="、".join(known) or "—")
    return parse_mapping({kind: json.loads(body) for kind, body in rows}, source=name)


def mark_used(wh: Warehouse, name: str, kind: str) -> None:
    with wh.begin() as conn:
        conn.execute(_T.update().where(_T.c.name == name, _T.c.kind == kind).values(last_used_at=_now()))


def last_used(wh: Warehouse, kind: str) -> str | None:
    """The profile the last load of ``kind`` used, if any."""
    used = [p for p in profiles(wh, kind) if p["last_used_at"] is not None]
    return used[0]["name"] if used else None


def export_toml(wh: Warehouse, name: str) -> str:
    return load_profile(wh, name).to_toml()


def import_toml(wh: Warehouse, name: str, text: str, source: str, user: str | None = None) -> list[str]:
    """Check a mapping file's text (every problem at once) and save it as the profile ``name``."""
    return save_profile(wh, name, parse_mapping_text(text, source, toml=not source.lower().endswith(".json")), user)


def delete_profile(wh: Warehouse, name: str) -> int:
    with wh.begin() as conn:
        return conn.execute(_T.delete().where(_T.c.name == name)).rowcount or 0
