"""Telling people (issue 18, point 5): each new alert is sent once to the channels its rule names —
企业微信 group robots, 钉钉 robots (signed when a secret is set) and e-mail (SMTP with STARTTLS).

Channels are declared in a TOML file (``CSDASH_CHANNELS``, default ``data/channels.toml``), not in
the warehouse: they hold robot keys.  A rule's ``notify`` lists channel names (comma / 、 / ;).

    base_url = "https://dash.example.com"        # links in the messages
    [smtp]
    host = "smtp.example.com"
    port = 587
    user = "alerts@example.com"
    password_env = "CSDASH_SMTP_PASSWORD"         # the password itself stays in the environment
    sender = "alerts@example.com"
    starttls = true
    [channels."华东群"]
    type = "wecom"
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"
    [channels."总部钉钉"]
    type = "dingtalk"
    url = "https://oapi.dingtalk.com/robot/send?access_token=…"
    secret = "SEC…"
    [channels."张经理"]
    type = "email"
    to = ["zhang@example.com"]

Scope: an e-mail address that is a signed-in viewer (用户与权限) receives only the alerts of that
viewer's scope, whatever the rule says.  A send is recorded per alert and channel (``alert_sends``):
sent once; a failure is retried with back-off in the run (``RETRIES``) and again on the next run.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import smtplib
import time
import tomllib
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import pandas as pd
import requests
import sqlalchemy as sa

from alerts.engine import describe, rules, visible
from alerts.errors import AlertError
from metrics import Scope
import texts
from warehouse import access
from warehouse.schema import alert_sends

CHANNEL_TYPES = ("wecom", "dingtalk", "email")
RETRIES = (1.0, 2.0, 4.0)      # seconds before the 2nd, 3rd and 4th attempt
TIMEOUT = 10
_SPLIT = re.compile(r"[,，、;；\s]+")


@dataclass(frozen=True)
class Channel:
    name: str
    type: str
    url: str = ""
    secret: str = ""
    to: tuple[str, ...] = ()


@dataclass
class Config:
    channels: dict[str, Channel] = field(default_factory=dict)
    smtp: dict = field(default_factory=dict)
    base_url: str = "http://localhost:8501"


def load_config(path: str | Path | None = None) -> Config:
    path = Path(path or os.environ.get("CSDASH_CHANNELS") or "data/channels.toml")
    if not path.exists():
        return Config()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AlertError("alerts.bad_channels", file=str(path), why=str(exc)) from None
    channels = {}
    for name, c in (raw.get("channels") or {}).items():
        kind = c.get("type")
        if kind not in CHANNEL_TYPES:
            raise AlertError("alerts.bad_channel", name=name, kind=str(kind), known="、".join(CHANNEL_TYPES))
        to = c.get("to") or ()
        channels[name] = Channel(name, kind, c.get("url", ""), c.get("secret", ""),
                                 tuple([to] if isinstance(to, str) else to))
    return Config(channels, raw.get("smtp") or {}, str(raw.get("base_url") or "http://localhost:8501").rstrip("/"))


# ------------------------------------------------------------------ payloads, as the robots' documentation says
def text_of(row: dict, config: Config, lang: str = "zh") -> str:
    kind = texts.text(f"alerts.kind.{row['kind']}", lang)
    return f"【{texts.text('page.alerts', lang)}】{kind}\n{describe(row, lang)}\n{config.base_url}{row['link']}"


def wecom_payload(text: str) -> dict:
    """企业微信群机器人: POST JSON {"msgtype": "text", "text": {"content": …}} to the webhook URL."""
    return {"msgtype": "text", "text": {"content": text}}


def dingtalk_payload(text: str) -> dict:
    """钉钉自定义机器人: the same shape as 企业微信's text message."""
    return {"msgtype": "text", "text": {"content": text}}


def dingtalk_url(url: str, secret: str, now_ms: int | None = None) -> str:
    """With a secret (加签): timestamp (ms) and sign = urlencode(base64(HMAC-SHA256(secret,
    f"{timestamp}\\n{secret}"))) appended to the webhook URL."""
    if not secret:
        return url
    stamp = str(now_ms if now_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{url}{'&' if '?' in url else '?'}timestamp={stamp}&sign={sign}"


def _post(url: str, payload: dict) -> None:
    r = requests.post(url, json=payload, timeout=TIMEOUT)
    r.raise_for_status()
    body = r.json() if r.content else {}
    if body.get("errcode", 0) != 0:        # both robots answer 200 with errcode ≠ 0 on a refusal
        raise RuntimeError(f"errcode {body.get('errcode')}: {body.get('errmsg')}")


def _mail(config: Config, to: tuple[str, ...], subject: str, text: str,
          attachments: tuple[tuple[str, bytes, str], ...] = ()) -> None:
    s = config.smtp
    if not s.get("host"):
        raise RuntimeError("no [smtp] host in the channels file")
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = subject, s.get("sender") or s.get("user", ""), ", ".join(to)
    msg.set_content(text)
    for name, content, mime in attachments:
        main, sub = mime.split("/", 1)
        msg.add_attachment(content, maintype=main, subtype=sub, filename=name)
    with smtplib.SMTP(s["host"], int(s.get("port", 587)), timeout=TIMEOUT) as smtp:
        if s.get("starttls", True):
            smtp.starttls()
        if s.get("user"):
            smtp.login(s["user"], os.environ.get(s.get("password_env", "CSDASH_SMTP_PASSWORD"), ""))
        smtp.send_message(msg)


def deliver(channel: Channel, row: dict, config: Config) -> None:
    text = text_of(row, config)
    if channel.type == "wecom":
        _post(channel.url, wecom_payload(text))
    elif channel.type == "dingtalk":
        _post(dingtalk_url(channel.url, channel.secret), dingtalk_payload(text))
    else:
        _mail(config, channel.to, text.splitlines()[0] + " " + describe(row)[:60], text)


# ------------------------------------------------------------------ the run
def _sent(wh) -> set[tuple[int, str]]:
    with wh.connect() as conn:
        return {(int(a), c) for a, c in conn.execute(sa.select(alert_sends.c.alert_id, alert_sends.c.channel).where(
            alert_sends.c.status == "sent"))}


def _record(wh, alert_id: int, channel: str, ok: bool, attempts: int, error: str) -> None:
    with wh.begin() as conn:
        conn.execute(alert_sends.delete().where((alert_sends.c.alert_id == alert_id)
                                                & (alert_sends.c.channel == channel)))
        conn.execute(alert_sends.insert().values(alert_id=alert_id, channel=channel, status="sent" if ok else "failed",
                                                 attempts=attempts, sent_at=datetime.now() if ok else None,
                                                 error=error[:500]))


def _allowed(wh, channel: Channel, row: dict) -> bool:
    """An e-mail to a registered viewer carries only alerts of that viewer's scope."""
    for address in channel.to:
        v = access.get_viewer(wh, address)
        if v is not None and not Scope.of(**v.limits).mask(pd.DataFrame([row])).iloc[0]:
            return False
    return True


def pending(wh, config: Config) -> list[tuple[dict, Channel]]:
    """(alert, channel) pairs not yet sent: open alerts of enabled rules naming a known channel."""
    names = {int(r["rule_id"]): [n for n in _SPLIT.split(r["notify"] or "") if n]
             for r in rules(wh).to_dict("records") if r["enabled"]}
    done = _sent(wh)
    out = []
    for row in visible(wh, Scope.all(), ("open",)).to_dict("records"):
        for name in names.get(int(row["rule_id"]), []):
            channel = config.channels.get(name)
            if channel is None or (int(row["alert_id"]), name) in done:
                continue
            if channel.type == "email" and not _allowed(wh, channel, row):
                continue
            out.append((row, channel))
    return out


def _attempt(action, sleep) -> tuple[str, int]:
    """Run ``action`` until it succeeds, waiting ``RETRIES`` between attempts: ("", n) or (the last error, n)."""
    error, attempts = "", 0
    for attempts, wait in enumerate((0.0, *RETRIES), start=1):
        if wait:
            sleep(wait)
        try:
            action()
            return "", attempts
        except Exception as exc:        # network, HTTP, SMTP: logged and retried, never fatal
            error = f"{type(exc).__name__}: {exc}"
    return error, attempts


def send(wh, config: Config, *, dry_run: bool = False, sleep=time.sleep, log=print) -> dict[str, int]:
    """Send every pending (alert, channel) once; retry with back-off; record each outcome."""
    counts = {"sent": 0, "failed": 0, "would_send": 0}
    for row, channel in pending(wh, config):
        if dry_run:
            log(f"[dry-run] {channel.name} ({channel.type}) ← #{row['alert_id']} {text_of(row, config)}")
            counts["would_send"] += 1
            continue
        error, attempts = _attempt(lambda: deliver(channel, row, config), sleep)
        ok = not error
        _record(wh, int(row["alert_id"]), channel.name, ok, attempts, error)
        counts["sent" if ok else "failed"] += 1
        log(f"{'sent' if ok else 'FAILED'} {channel.name} #{row['alert_id']} after {attempts} attempt(s) {error}")
    return counts


# ------------------------------------------------------------------ the complaint reports (reports/complaints.py)
def report_text(report, config: Config, lang: str = "zh") -> str:
    """A robot's message for a weekly report or a notice: its title, the counts, the open items, the link."""
    say = lambda text_id, **kw: texts.text(text_id, lang, **kw)  # noqa: E731
    open_ = report.sections["open"][0].frame
    overdue = int(open_["overdue_hours"].notna().sum()) if len(open_) else 0
    if report.kind == "weekly":
        counts = report.sections["counts"][0].frame
        n = {k: int(counts[k].sum()) if len(counts) else 0 for k in ("complaints", "opinions", "suggestions")}
    else:
        summary = report.sections["summary"][0].frame.set_index("kpi")["value"]
        n = {"complaints": summary.get("complaints"), "opinions": None, "suggestions": None}
        n = {k: (0 if v is None or v != v else int(v)) for k, v in n.items()}
    return (f"【{report.label(lang)}】\n" + say("creport.robot", complaints=n["complaints"], opinions=n["opinions"],
                                                  suggestions=n["suggestions"], open=len(open_), overdue=overdue)
            + f"\n{config.base_url}/complaints")


def _deliver_report(channel: Channel, config: Config, report, text: str, files) -> None:
    if channel.type == "wecom":
        _post(channel.url, wecom_payload(text))
    elif channel.type == "dingtalk":
        _post(dingtalk_url(channel.url, channel.secret), dingtalk_payload(text))
    else:
        _mail(config, channel.to, report.label(), text, files)


def send_report(wh, config: Config, report, names: list[str], files: tuple[tuple[str, bytes, str], ...], *,
                dry_run: bool = False, sleep=time.sleep, log=print) -> dict[str, int]:
    """Send a frozen complaint report to the named channels: robots get the summary and the link, e-mail
    gets the files attached.  The report covers the company (it was built without a scope limit): an
    address of a viewer limited to a region, store or team is skipped.  Retried like alerts."""
    counts = {"sent": 0, "failed": 0, "would_send": 0, "skipped": 0}
    text = report_text(report, config)
    for name in names:
        channel = config.channels.get(name)
        if channel is None:
            raise AlertError("alerts.unknown_channel", name=name, known="、".join(config.channels) or "—")
        if channel.type == "email":
            limited = [a for a in channel.to if (v := access.get_viewer(wh, a)) is not None and any(v.limits.values())]
            if limited:
                log(f"skipped {name}: {', '.join(limited)} may not see the whole company")
                counts["skipped"] += 1
                continue
        if dry_run:
            log(f"[dry-run] {name} ({channel.type}) ← {text}")
            counts["would_send"] += 1
            continue
        error, attempts = _attempt(lambda: _deliver_report(channel, config, report, text, files), sleep)
        counts["sent" if not error else "failed"] += 1
        log(f"{'sent' if not error else 'FAILED'} {name} after {attempts} attempt(s) {error}")
    return counts
