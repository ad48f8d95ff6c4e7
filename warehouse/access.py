"""Who may use the dashboard, as data: viewers, their role and scope, and the audit log.

A viewer is a row of ``viewers``: e-mail (the sign-in identity; the OIDC subject is kept when known),
name, role and scope (regions, stores, teams: any combination, the levels combined with AND; an
empty level is no limit on that level).  Roles, and what each may do, are declared once in
``PERMISSIONS``.  Every change to a viewer, and every other action worth answering "who did that?"
for, is a row of ``audit_log``.

This module is the warehouse layer's: it knows nothing of pages or metrics.  The metric layer turns
a viewer's scope into its ``Scope``; the app enforces it (issue 16).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
import json
import os
from pathlib import Path
import re

import pandas as pd
import sqlalchemy as sa

from texts import Lines, Message
from warehouse.db import Warehouse, actor
from warehouse.errors import WarehouseError
from warehouse.schema import TABLES

ROLES = ("admin", "manager", "viewer")
# action → the roles that may take it (the one declaration the app and the CLIs check against)
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "read": ROLES,                            # pages, charts, tables and downloads within scope
    "comment": ("admin", "manager"),          # review-pack comments and action items
    "edit_inputs": ("admin", "manager"),      # appraisal inputs of agents in scope
    "refresh_pack": ("admin", "manager"),
    "publish": ("admin",),                    # publishing an appraisal month
    "load": ("admin",),                       # the import page
    "settings": ("admin",),                   # settings and targets
    "profiles": ("admin",),                   # mapping profiles
    "viewers": ("admin",),                    # the 用户与权限 page
    "acknowledge": ("admin", "manager"),      # acknowledging and resolving alerts in scope
    "alert_rules": ("admin",),                # editing the alert rules
    "complaint_stage": ("admin", "manager"),  # moving a complaint in scope through its loop (投诉闭环)
}
LEVELS = ("regions", "stores", "teams")
# the Excel columns of a viewer list (``viewers import``; the template writes the same)
EXCEL_COLUMNS = {"email": "邮箱", "name": "姓名", "role": "角色", "regions": "区域", "stores": "门店", "teams": "班组"}
_SPLIT = re.compile(r"[、,，;；|\n]+")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


@dataclass(frozen=True)
class Viewer:
    email: str
    name: str = ""
    role: str = "viewer"
    regions: tuple[str, ...] = ()
    stores: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    subject: str | None = None

    def may(self, action: str) -> bool:
        return self.role in PERMISSIONS[action]

    @property
    def limits(self) -> dict[str, tuple[str, ...] | None]:
        """Each scope level's allowed values, None for no limit (an admin sees everything)."""
        if self.role == "admin":
            return {level: None for level in LEVELS}
        return {level: (getattr(self, level) or None) for level in LEVELS}


def allowed(viewer: Viewer | None, action: str) -> bool:
    if action not in PERMISSIONS:
        raise KeyError(action)
    return viewer is not None and viewer.may(action)


def normalise_email(email: str) -> str:
    return str(email or "").strip().lower()


def split_values(cell) -> tuple[str, ...]:
    """区域/门店/班组 cells: several values separated by 、 , ; or line breaks."""
    if cell is None or (isinstance(cell, float) and cell != cell):
        return ()
    return tuple(dict.fromkeys(v.strip() for v in _SPLIT.split(str(cell)) if v.strip()))


def check_viewer(v: Viewer) -> list[Message]:
    problems = []
    if not _EMAIL.match(v.email) or len(v.email) > 254:
        problems.append(Message("viewer.bad_email", email=v.email))
    if v.role not in ROLES:
        problems.append(Message("viewer.bad_role", email=v.email, role=v.role, roles=", ".join(ROLES)))
    return problems


_T = TABLES["viewers"]
_A = TABLES["audit_log"]


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def audit(wh: Warehouse, action: str, target: str = "", by: str | None = None, conn: sa.Connection | None = None,
          **detail) -> None:
    """One row of the audit log: who, when, what, on what, with details (JSON)."""
    row = dict(logged_at=_now(), actor=by or actor(), action=action, target=str(target),
               detail=json.dumps(detail, ensure_ascii=False, default=str, sort_keys=True))
    if conn is not None:
        conn.execute(_A.insert().values(**row))
        return
    with wh.begin() as c:
        c.execute(_A.insert().values(**row))


def audit_once(wh: Warehouse, action: str, target: str, by: str | None = None, **detail) -> bool:
    """``audit`` unless the same action, target and details are already logged (a sign-in seen again on
    every page load of its session); True when a row was written."""
    text = json.dumps(detail, ensure_ascii=False, default=str, sort_keys=True)
    with wh.begin() as conn:
        seen = conn.execute(sa.select(sa.func.count()).select_from(_A).where(
            _A.c.action == action, _A.c.target == str(target), _A.c.detail == text)).scalar()
        if seen:
            return False
        audit(wh, action, target, by, conn, **detail)
    return True


def _row(v: Viewer) -> dict:
    return dict(email=v.email, subject=v.subject, name=v.name, role=v.role,
                **{level: json.dumps(list(getattr(v, level)), ensure_ascii=False) for level in LEVELS})


def _viewer(r) -> Viewer:
    m = r._mapping
    return Viewer(m["email"], m["name"] or "", m["role"], *(tuple(json.loads(m[level] or "[]")) for level in LEVELS),
                  subject=m["subject"])


def viewers(wh: Warehouse) -> list[Viewer]:
    with wh.connect() as conn:
        return [_viewer(r) for r in conn.execute(sa.select(_T).order_by(_T.c.email))]


def get_viewer(wh: Warehouse, email: str) -> Viewer | None:
    with wh.connect() as conn:
        r = conn.execute(sa.select(_T).where(_T.c.email == normalise_email(email))).first()
    return _viewer(r) if r is not None else None


def viewer_by_subject(wh: Warehouse, subject: str) -> Viewer | None:
    """The viewer whose OIDC subject is ``subject`` (a provider that sends no e-mail claim)."""
    if not subject:
        return None
    with wh.connect() as conn:
        r = conn.execute(sa.select(_T).where(_T.c.subject == str(subject))).first()
    return _viewer(r) if r is not None else None


def save_viewers(wh: Warehouse, items: list[Viewer], by: str | None = None) -> int:
    """Add or change viewers in one transaction (every problem at once, nothing saved if any); each
    change audited with the old and new values.  Returns how many rows changed."""
    items = [Viewer(normalise_email(v.email), v.name.strip(), v.role.strip().lower(),
                    *(tuple(getattr(v, level)) for level in LEVELS), subject=v.subject) for v in items]
    problems = [p for v in items for p in check_viewer(v)]
    if problems:
        raise WarehouseError("viewer.problems", problems=Lines(Message("indent", item=p) for p in problems))
    changed = 0
    with wh.begin() as conn:
        for v in items:
            old = conn.execute(sa.select(_T).where(_T.c.email == v.email)).first()
            before = _viewer(old) if old is not None else None
            if before is not None and v.subject is None:   # an edit that does not name the subject keeps it
                v = Viewer(v.email, v.name, v.role, v.regions, v.stores, v.teams, subject=before.subject)
            if before == v:
                continue
            conn.execute(_T.delete().where(_T.c.email == v.email))
            conn.execute(_T.insert().values(**_row(v), updated_by=by or actor(), updated_at=_now()))
            audit(wh, "viewer.change" if before else "viewer.add", v.email, by, conn,
                  before=_row(before) if before else None, after=_row(v))
            changed += 1
    return changed


def remove_viewer(wh: Warehouse, email: str, by: str | None = None) -> bool:
    email = normalise_email(email)
    with wh.begin() as conn:
        old = conn.execute(sa.select(_T).where(_T.c.email == email)).first()
        if old is None:
            return False
        conn.execute(_T.delete().where(_T.c.email == email))
        audit(wh, "viewer.remove", email, by, conn, before=_row(_viewer(old)))
    return True


def bootstrap_admins(wh: Warehouse, emails: str | None = None) -> int:
    """The first admins, from ``CSDASH_ADMINS`` (comma-separated e-mails): added when missing, made
    admin when not; nobody is ever demoted or removed from here."""
    wanted = [normalise_email(e) for e in _SPLIT.split(emails if emails is not None else os.environ.get("CSDASH_ADMINS", ""))
              if e.strip()]
    if not wanted:
        return 0
    current = {v.email: v for v in viewers(wh)}
    todo = [Viewer(e, current[e].name, "admin", subject=current[e].subject) if e in current else Viewer(e, role="admin")
            for e in wanted if e not in current or current[e].role != "admin"]
    return save_viewers(wh, todo, by="CSDASH_ADMINS") if todo else 0


def read_viewers_excel(path: str | Path) -> list[Viewer]:
    """A viewer list (邮箱, 姓名, 角色, 区域, 门店, 班组; English headers email, name, role, regions,
    stores, teams also accepted): every problem at once, naming the row."""
    try:
        frame = pd.read_excel(path, dtype=str, engine="calamine")
    except Exception as exc:   # not a workbook, unreadable: one clear message
        raise WarehouseError("viewer.bad_file", file=str(path), detail=str(exc).splitlines()[0][:200]) from None
    names = {h.strip().lower(): h for h in frame.columns.astype(str)}
    columns = {}
    for key, zh in EXCEL_COLUMNS.items():
        columns[key] = names.get(zh) or names.get(key)
    if columns["email"] is None or columns["role"] is None:
        raise WarehouseError("viewer.bad_header", file=str(path), found="、".join(map(str, frame.columns)),
                             needed="、".join(EXCEL_COLUMNS.values()))
    out, problems = [], []
    for i, r in enumerate(frame.to_dict("records"), start=2):
        def cell(key):
            c = columns[key]
            v = r.get(c) if c else None
            return "" if v is None or (isinstance(v, float) and v != v) else str(v).strip()
        if not any(cell(k) for k in EXCEL_COLUMNS):
            continue
        v = Viewer(normalise_email(cell("email")), cell("name"), cell("role").lower(),
                   *(split_values(cell(level)) for level in LEVELS))
        problems += [Message("viewer.row", row=i, problem=p) for p in check_viewer(v)]
        out.append(v)
    if problems:
        raise WarehouseError("viewer.problems", problems=Lines(Message("indent", item=p) for p in problems))
    return out


def write_viewers_template(path: str | Path, items: list[Viewer]) -> None:
    rows = [{EXCEL_COLUMNS["email"]: v.email, EXCEL_COLUMNS["name"]: v.name, EXCEL_COLUMNS["role"]: v.role,
             **{EXCEL_COLUMNS[level]: "、".join(getattr(v, level)) for level in LEVELS}} for v in items]
    pd.DataFrame(rows, columns=list(EXCEL_COLUMNS.values())).to_excel(path, index=False)


def audit_rows(wh: Warehouse, limit: int = 1000) -> list[dict]:
    with wh.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(_A).order_by(_A.c.logged_at.desc(), _A.c.action).limit(limit))]
