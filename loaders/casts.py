"""Lenient casts, written as DuckDB SQL macros so a million rows cast without a Python loop.

Every cast returns NULL for a value it cannot read; the pipeline turns "raw present, typed NULL"
into a reject reason that quotes the value.  Time zone: exports are local China time
(Asia/Shanghai, UTC+8, no daylight saving); Unix timestamps and ``+hhmm`` offsets are converted
to it.
"""
from __future__ import annotations

from warehouse.safety import control_class

EMPTY_WORDS = ("", "-", "--", "—", "——", "null", "NULL", "Null", "none", "None", "nan", "NaN", "无", "N/A", "#N/A")
EMPTY_BYTES = max(len(w.encode()) for w in EMPTY_WORDS)   # a longer cell is not one of them: no comparisons
SUMMARY_WORDS = ("汇总", "合计", "总计", "均值", "平均值", "店铺汇总值", "店铺平均值")
LOCAL_UTC_OFFSET_MINUTES = 480
# the characters removed from text at load (warehouse.safety.CONTROL_RANGES), as an RE2 class
CONTROL_CHARS = control_class(re2=True)

_TS_FORMATS = ["%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H", "%Y-%m-%d",
               "%Y%m%d %H:%M:%S", "%Y%m%d"]


def sql_list(words) -> str:
    """A SQL list literal of strings: ['a', 'b'] (quotes doubled)."""
    return "[" + ", ".join("'" + w.replace("'", "''") + "'" for w in words) + "]"


MACROS = f"""
-- blank and "no value" words → NULL; a leading apostrophe (Excel's "this is text" mark, and what our
-- formula-injection escaping adds) is dropped
-- trimmed once (a lambda over a one-element list binds the trimmed text to x)
CREATE OR REPLACE MACRO nz_full(v) AS list_transform([trim(v, ' \t\r\n\u3000\u00a0')], lambda x: CASE
    WHEN x IN {tuple(EMPTY_WORDS)} THEN NULL
    WHEN starts_with(x, chr(39)) THEN nullif(substr(x, 2), '')
    ELSE x END)[1];
-- Fast paths (a CASE branch runs only on the rows that reach it; coalesce() would run every
-- argument on every row): most cells have no blank at either end, no apostrophe and no ="…" guard.
CREATE OR REPLACE MACRO is_plain(v) AS
    ord(v) NOT IN (32, 9, 10, 13, 12288, 160, 39, 61) AND ord(right(v, 1)) NOT IN (32, 9, 10, 13, 12288, 160);
CREATE OR REPLACE MACRO nz(v) AS CASE
    WHEN v IS NULL OR (strlen(v) <= {EMPTY_BYTES} AND v IN {tuple(EMPTY_WORDS)}) THEN NULL
    WHEN is_plain(v) THEN v
    ELSE nz_full(v) END;

-- ids: Excel text guards ="123" and a leading ' or tab are stripped.  id_text takes a cell already
-- through nz() (the pipeline's case): a macro's argument is copied wherever it is used, and DuckDB
-- pays for the size of a CASE's expression tree on every chunk, even for branches no row takes.
CREATE OR REPLACE MACRO id_text(v) AS CASE
    WHEN v IS NULL THEN NULL
    WHEN ord(v) NOT IN (61, 39) THEN v
    ELSE nz_full(ltrim(regexp_replace(v, '^=\\s*"(.*)"$', '\\1'), '''')) END;
CREATE OR REPLACE MACRO clean_id(v) AS id_text(nz(v));

CREATE OR REPLACE MACRO ts_offset_min(v) AS CASE
    WHEN regexp_matches(v, '\\d:\\d{{2}}(?::\\d{{2}})?(?:\\.\\d+)?\\s*[+-]\\d{{2}}:?\\d{{2}}$') THEN
        (CASE WHEN regexp_extract(v, '([+-])\\d{{2}}:?\\d{{2}}$', 1) = '-' THEN -1 ELSE 1 END)
        * (regexp_extract(v, '[+-](\\d{{2}}):?\\d{{2}}$', 1)::INT * 60 + regexp_extract(v, '[+-]\\d{{2}}:?(\\d{{2}})$', 1)::INT)
    WHEN regexp_matches(v, '\\dZ$') THEN 0
    ELSE NULL END;

CREATE OR REPLACE MACRO ts_text(v) AS rtrim(regexp_replace(
    replace(replace(replace(replace(replace(replace(replace(replace(replace(
        CASE WHEN ts_offset_min(v) IS NULL THEN v
             ELSE regexp_replace(v, '\\s*(?:[+-]\\d{{2}}:?\\d{{2}}|Z)$', '') END,
        '年', '-'), '月', '-'), '日', ' '), '时', ':'), '点', ':'), '分', ':'), '秒', ''), '/', '-'), 'T', ' '),
    '\\s+', ' ', 'g'), ': ');

-- the layouts nearly every export uses, read by one strptime chosen by length and separator
-- (a failing strptime costs ten times a succeeding one), before any regexp
CREATE OR REPLACE MACRO ts_fast(v) AS CASE
    WHEN length(v) = 19 AND v[5] = '-' THEN try_strptime(v, '%Y-%m-%d %H:%M:%S')
    WHEN length(v) = 19 AND v[5] = '/' THEN try_strptime(v, '%Y/%m/%d %H:%M:%S')
    WHEN length(v) = 16 AND v[5] = '-' THEN try_strptime(v, '%Y-%m-%d %H:%M')
    WHEN length(v) = 16 AND v[5] = '/' THEN try_strptime(v, '%Y/%m/%d %H:%M') END;

CREATE OR REPLACE MACRO parse_ts(v) AS CASE
    WHEN v IS NULL THEN NULL
    WHEN ts_fast(v) IS NOT NULL THEN ts_fast(v)
    WHEN regexp_full_match(v, '\\d{{12,13}}(\\.\\d+)?') THEN
        make_timestamp(CAST(TRY_CAST(v AS DOUBLE) * 1000 AS BIGINT)) + INTERVAL {LOCAL_UTC_OFFSET_MINUTES} MINUTE
    WHEN regexp_full_match(v, '\\d{{9,10}}(\\.\\d+)?') THEN
        make_timestamp(CAST(TRY_CAST(v AS DOUBLE) * 1000000 AS BIGINT)) + INTERVAL {LOCAL_UTC_OFFSET_MINUTES} MINUTE
    WHEN regexp_full_match(v, '\\d{{5}}(\\.\\d+)?') THEN
        TIMESTAMP '1899-12-30' + to_seconds(CAST(round(TRY_CAST(v AS DOUBLE) * 86400) AS BIGINT))
    ELSE try_strptime(ts_text(v), {sql_list(_TS_FORMATS)})
         + to_minutes(CAST({LOCAL_UTC_OFFSET_MINUTES} - coalesce(ts_offset_min(v), {LOCAL_UTC_OFFSET_MINUTES}) AS BIGINT))
    END;

CREATE OR REPLACE MACRO parse_month(v) AS CASE
    WHEN v IS NULL THEN NULL
    WHEN regexp_full_match(v, '\\d{{4}}\\s*[-/.年]\\s*\\d{{1,2}}\\s*月?') THEN
        try_strptime(regexp_extract(v, '^(\\d{{4}})', 1) || '-' || regexp_extract(v, '^\\d{{4}}\\s*[-/.年]\\s*(\\d{{1,2}})', 1) || '-1', '%Y-%m-%d')::DATE
    WHEN regexp_full_match(v, '\\d{{6}}') THEN try_strptime(v || '01', '%Y%m%d')::DATE
    ELSE date_trunc('month', parse_ts(v))::DATE
    END;

CREATE OR REPLACE MACRO parse_duration(v) AS CASE
    WHEN v IS NULL THEN NULL
    WHEN regexp_full_match(v, '[+-]?\\d+(\\.\\d+)?') THEN TRY_CAST(v AS DOUBLE)
    WHEN regexp_full_match(v, '\\d+:\\d{{1,2}}(\\.\\d+)?') THEN
        TRY_CAST(split_part(v, ':', 1) AS DOUBLE) * 60 + TRY_CAST(split_part(v, ':', 2) AS DOUBLE)
    WHEN regexp_full_match(v, '\\d+:\\d{{1,2}}:\\d{{1,2}}(\\.\\d+)?') THEN
        TRY_CAST(split_part(v, ':', 1) AS DOUBLE) * 3600 + TRY_CAST(split_part(v, ':', 2) AS DOUBLE) * 60
        + TRY_CAST(split_part(v, ':', 3) AS DOUBLE)
    WHEN regexp_full_match(v, '(\\d+(小时|时))?(\\d+分钟?)?(\\d+(\\.\\d+)?秒)?') THEN
        coalesce(TRY_CAST(nullif(regexp_extract(v, '(\\d+)(?:小时|时)', 1), '') AS DOUBLE), 0) * 3600
        + coalesce(TRY_CAST(nullif(regexp_extract(v, '(\\d+)分', 1), '') AS DOUBLE), 0) * 60
        + coalesce(TRY_CAST(nullif(regexp_extract(v, '(\\d+(?:\\.\\d+)?)秒', 1), '') AS DOUBLE), 0)
    ELSE NULL END;

CREATE OR REPLACE MACRO parse_money(v) AS CASE
    WHEN v IS NULL THEN NULL
    WHEN v IN ('无退款申请', '无退款') THEN 0::DECIMAL(18, 2)
    ELSE TRY_CAST(regexp_replace(replace(v, '−', '-'), '[¥￥,，元\\s]', '', 'g') AS DECIMAL(18, 2)) END;

-- control characters (NUL…) and bidi overrides in text: removed at load, counted in the report
CREATE OR REPLACE MACRO has_ctrl(v) AS regexp_matches(v, '{CONTROL_CHARS}');
CREATE OR REPLACE MACRO strip_ctrl(v) AS nullif(regexp_replace(v, '{CONTROL_CHARS}', '', 'g'), '');

CREATE OR REPLACE MACRO parse_number(v) AS TRY_CAST(v AS DOUBLE);

CREATE OR REPLACE MACRO parse_int(v) AS CASE
    WHEN TRY_CAST(v AS DOUBLE) = floor(TRY_CAST(v AS DOUBLE)) THEN CAST(TRY_CAST(v AS DOUBLE) AS BIGINT)
    ELSE NULL END;
"""


def install_macros(con) -> None:
    con.execute(MACROS)
