"""How big a benchmark run is: months, stores, agents and rows per export.

``1m`` and ``10m`` are the issue's chain scales (a national chain: hundreds of stores, a call
centre of 80+ agents); ``tiny`` is the smoke run ``make test`` does to prove the harness works.
"""
from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Scale:
    name: str
    months: int            # months of history, ending at ``end_month``
    stores: int
    agents: int            # in teams of ``TEAM_SIZE``, pre-sales and after-sales alternating
    tickets: int
    callbacks: int
    sales: int
    end_month: str = "2026-10"
    xlsx_rows: int = 200_000        # the Excel load figure
    pandas_rows: int = 100_000      # the slice the naive pandas → to_sql baseline loads (see bench/load.py)

    @property
    def regions(self) -> int:
        return min(6, self.stores)

    @property
    def customers(self) -> int:
        """Size of the customer pool tickets and sales draw from (repeat buyers, inquiries that convert)."""
        return max(200, self.sales // 5)

    def tenth(self) -> "Scale":
        """The same chain with a tenth of the rows: the other end of the growth figure."""
        return replace(self, name=f"{self.name}÷10", tickets=max(1, self.tickets // 10),
                       callbacks=max(1, self.callbacks // 10), sales=max(1, self.sales // 10),
                       xlsx_rows=max(1, self.xlsx_rows // 10), pandas_rows=max(1, self.pandas_rows // 10))

    def key(self) -> str:
        """Folder name for the generated files: every parameter, so a changed scale never reuses old files."""
        return (f"{self.tickets}t-{self.callbacks}c-{self.sales}s-{self.months}m-{self.stores}st-{self.agents}a"
                f"-{self.end_month}-{self.xlsx_rows}x-{self.pandas_rows}p")


TEAM_SIZE = 9
SCALES = {s.name: s for s in (
    Scale("tiny", months=3, stores=12, agents=27, tickets=3_000, callbacks=600, sales=3_000,
          xlsx_rows=1_000, pandas_rows=3_000),
    Scale("1m", months=12, stores=300, agents=90, tickets=1_000_000, callbacks=200_000, sales=1_000_000),
    Scale("10m", months=12, stores=600, agents=90, tickets=10_000_000, callbacks=2_000_000, sales=10_000_000),
)}
