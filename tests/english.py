"""Chinese where English is asked for: the Han characters a page shows outside the data's own values
(names of teams, regions, stores, agents, categories, files), for the AppTest and Chromium checks."""
import re

import sqlalchemy as sa

from warehouse import open_warehouse

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")


def data_words(db: str) -> set[str]:
    """Every text value the warehouse holds: names of teams, regions, stores, agents, categories, files…"""
    wh = open_warehouse(db)
    words = set()
    with wh.connect() as conn:
        for table, columns in (("tickets", "team, region, store, agent_name, category, agent_id"),
                               ("roster", "team, region, store, agent_name, leader, nickname"),
                               ("sales", "store, region, member_level, channel"),
                               ("callbacks", "comment"), ("load_log", "file_name"),
                               ("complaints", "category, content, line, store, region, team, responsible_department, "
                                              "plan, approved_by, unit"),
                               ("key_customers", "customer_name, level, owner"),
                               ("stores", "store, region, store_type, size_class, categories, manager"),
                               ("store_audits", "store, region, category, auditor"),
                               ("inventory_snapshots", "store, region, item, category"),
                               ("receivables", "store, region, merchant"),
                               ("campaigns", "campaign, region, store, note")):
            for row in conn.execute(sa.text(f"SELECT DISTINCT {columns} FROM {table}")):
                words.update(str(v) for v in row if v is not None)
    wh.dispose()
    return words


def leaks(shown: list[str], words: set[str]) -> list[str]:
    """Each run of Han characters in ``shown`` once the data's own words are taken out."""
    found = []
    for text in shown:
        for w in sorted(words, key=len, reverse=True):
            if HAN.search(w):
                text = text.replace(w, "")
        found += [f"{m} in {text[:80]!r}" for m in HAN.findall(text)]
    return found
