"""Who may see what, and what the viewer chose to look at.

``Scope`` is the viewer's permission (allowed regions / stores / teams; ``None`` = no limit on
that level).  ``Filters`` is what the viewer picked in the sidebar.  The query builder applies
both, always, with bound parameters: a filter narrows the scope, it can never widen it.  Both
are frozen and hashable, so a cached result keyed on them cannot leak between viewers.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Iterable

import texts


def _frozen(values: Iterable[str] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(str(v) for v in values)


@dataclass(frozen=True)
class Scope:
    regions: frozenset[str] | None = None
    stores: frozenset[str] | None = None
    teams: frozenset[str] | None = None

    @classmethod
    def all(cls) -> "Scope":
        """No restriction: an administrator, the CLI, the tests."""
        return cls()

    @classmethod
    def of(cls, regions=None, stores=None, teams=None) -> "Scope":
        return cls(_frozen(regions), _frozen(stores), _frozen(teams))

    @property
    def is_all(self) -> bool:
        return self.regions is None and self.stores is None and self.teams is None

    def mask(self, frame):
        """Rows of a finished frame (columns region, store, team) this viewer may see: for results
        that must be computed over everyone first, like a division's ranking."""
        import pandas as pd

        keep = pd.Series(True, index=frame.index)
        for level, column in (("regions", "region"), ("stores", "store"), ("teams", "team")):
            allowed = getattr(self, level)
            if allowed is not None:
                keep &= frame[column].isin(allowed)
        return keep

    def key(self) -> str:
        """A canonical, language-free key of the scope, for what is stored per viewer (review packs):
        ``{"regions": ["华东"], "stores": null, "teams": null}`` with sorted values.  Unlike
        ``describe`` it never changes when a label is reworded."""
        import json

        return json.dumps({level: None if (v := getattr(self, level)) is None else sorted(v)
                           for level in ("regions", "stores", "teams")}, ensure_ascii=False, sort_keys=True)

    def describe(self, lang: str = texts.DEFAULT) -> str:
        """What the viewer may see, for people: 全部, or 区域：华东；班组：售前一组 (a display text: never a key)."""
        if self.is_all:
            return texts.text("level.all", lang)
        parts = [texts.text("level.named", lang, level=texts.text(f"level.{level}", lang),
                            value="、".join(sorted(v)) or texts.text("load.missing.none", lang))
                 for level, v in (("region", self.regions), ("store", self.stores), ("team", self.teams)) if v is not None]
        return texts.text("sep.problems", lang).join(parts)


@dataclass(frozen=True)
class Filters:
    """Sidebar choices; ``None`` = all.  Dimension name → allowed values."""
    region: frozenset[str] | None = None
    store: frozenset[str] | None = None
    team: frozenset[str] | None = None
    division: frozenset[str] | None = None
    channel: frozenset[str] | None = None
    agent: frozenset[str] | None = None

    @classmethod
    def of(cls, **chosen: Iterable[str] | None) -> "Filters":
        return cls(**{k: _frozen(v) for k, v in chosen.items()})

    def narrowed(self, **chosen: Iterable[str]) -> "Filters":
        """A copy with some dimensions replaced (a drill-down inside the current filters)."""
        return replace(self, **{k: _frozen(v) for k, v in chosen.items()})

    def items(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                yield f.name, value


NO_FILTERS = Filters()
