"""Notifications (alerts/notify.py): 企业微信 and 钉钉 robots against a local HTTP server that records
their posts (payload shape, 钉钉's signature), e-mail against a local SMTP server (aiosmtpd); each
alert sent once per channel, failures retried with back-off, --dry-run, scope for viewers' e-mail."""
import base64
import hashlib
import hmac
import json
import subprocess
import sys
import threading
import urllib.parse
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest

from alerts import engine, notify
from conftest import ROOT
from reports.pack import PackScope, add_action
from warehouse import access


class Robot(BaseHTTPRequestHandler):
    posts: list = []
    fail_first = 0

    def do_POST(self):   # noqa: N802 - the http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Robot.posts.append((self.path, body))
        if Robot.fail_first > 0:
            Robot.fail_first -= 1
            self.send_response(500)
            self.end_headers()
            return
        out = json.dumps({"errcode": 0, "errmsg": "ok"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


@pytest.fixture
def robot():
    Robot.posts, Robot.fail_first = [], 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Robot)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    class Box:
        def __init__(self):
            self.mails = []

        async def handle_DATA(self, server, session, envelope):   # noqa: N802 - aiosmtpd's API
            self.mails.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
            return "250 OK"

    import socket

    with socket.socket() as probe:       # a free port (aiosmtpd's readiness check cannot use port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Box()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


def channels(tmp_path, robot, smtp_port):
    path = tmp_path / "channels.toml"
    path.write_text(f'''base_url = "https://dash.example.com"
[smtp]
host = "127.0.0.1"
port = {smtp_port}
sender = "alerts@example.com"
starttls = false
[channels."华东群"]
type = "wecom"
url = "{robot}/cgi-bin/webhook/send?key=K1"
[channels."总部钉钉"]
type = "dingtalk"
url = "{robot}/robot/send?access_token=T1"
secret = "SECabc"
[channels."南经理"]
type = "email"
to = ["nan@example.com"]
[channels."总经理"]
type = "email"
to = ["boss@example.com"]
''', encoding="utf-8")
    return notify.load_config(path)


def two_overdue_actions(wh):
    add_action(wh, "2026-10", PackScope(), title="公司级行动", owner="甲", due=date(2026, 10, 1), by="经理")
    add_action(wh, "2026-10", PackScope("region", "华东"), title="华东行动", owner="乙", due=date(2026, 10, 1),
               by="经理")
    engine.save_rules(wh, pd.DataFrame([{"rule_id": 1, "kind": "actions_overdue", "kpi": None, "scope_level": "all",
                                         "scope_value": None, "threshold": None,
                                         "notify": "华东群、总部钉钉, 南经理; 总经理", "enabled": True}]), by="admin")
    assert len(engine.evaluate(wh, month="2026-10", today=date(2026, 10, 9))) == 2


def test_robots_and_mail_once_each_with_signature_and_scope(duck_wh, tmp_path, robot, smtp):
    box, port = smtp
    config = channels(tmp_path, robot, port)
    access.save_viewers(duck_wh, [access.Viewer("nan@example.com", role="manager", regions=("华南",)),
                                  access.Viewer("boss@example.com", role="admin")])
    two_overdue_actions(duck_wh)
    counts = notify.send(duck_wh, config, sleep=lambda s: None, log=lambda *a: None)
    # 2 alerts × (wecom, dingtalk, the boss) = 6; 南经理 (a 华南 viewer) gets neither: one is the
    # company's, the other 华东's
    assert counts == {"sent": 6, "failed": 0, "would_send": 0}
    wecom = [b for p, b in Robot.posts if p.startswith("/cgi-bin/webhook/send?key=K1")]
    assert len(wecom) == 2 and all(b["msgtype"] == "text" and set(b["text"]) == {"content"} for b in wecom)
    assert any("华东行动" in b["text"]["content"] and "https://dash.example.com/review" in b["text"]["content"]
               for b in wecom)
    assert all(b["text"]["content"].startswith("【预警】行动项逾期") for b in wecom)
    ding = [(p, b) for p, b in Robot.posts if p.startswith("/robot/send")]
    assert len(ding) == 2
    for path, body in ding:
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
        assert q["access_token"] == ["T1"]
        stamp = q["timestamp"][0]
        expected = base64.b64encode(hmac.new(b"SECabc", f"{stamp}\nSECabc".encode(), hashlib.sha256).digest()).decode()
        assert q["sign"] == [expected] and body["msgtype"] == "text"
    assert sorted(to for tos, _ in box.mails for to in tos) == ["boss@example.com"] * 2
    import email
    from email import policy

    mail = email.message_from_string(box.mails[0][1], policy=policy.default)
    assert mail["Subject"].startswith("【预警】行动项逾期") and "https://dash.example.com/review" in mail.get_content()
    # sent once: a second run sends nothing
    Robot.posts.clear()
    assert notify.send(duck_wh, config, sleep=lambda s: None, log=lambda *a: None)["sent"] == 0 and not Robot.posts


def test_failures_are_retried_with_back_off_then_recorded_and_retried_next_run(duck_wh, tmp_path, robot, smtp):
    _, port = smtp
    config = channels(tmp_path, robot, port)
    config.channels = {"华东群": config.channels["华东群"]}
    add_action(duck_wh, "2026-10", PackScope(), title="一项", owner="甲", due=date(2026, 10, 1), by="经理")
    engine.save_rules(duck_wh, pd.DataFrame([{"rule_id": 1, "kind": "actions_overdue", "kpi": None,
                                              "scope_level": "all", "scope_value": None, "threshold": None,
                                              "notify": "华东群", "enabled": True}]), by="admin")
    engine.evaluate(duck_wh, month="2026-10", today=date(2026, 10, 9))
    waits = []
    Robot.fail_first = 2                  # two 500s, then OK on the third attempt
    assert notify.send(duck_wh, config, sleep=waits.append, log=lambda *a: None)["sent"] == 1
    assert waits == [1.0, 2.0] and len(Robot.posts) == 3
    # a second alert that keeps failing: four attempts (1, 2, 4 s between), recorded failed, retried next run
    add_action(duck_wh, "2026-10", PackScope(), title="二项", owner="乙", due=date(2026, 10, 1), by="经理")
    engine.evaluate(duck_wh, month="2026-10", today=date(2026, 10, 9))
    Robot.posts.clear()
    Robot.fail_first, waits = 99, []
    assert notify.send(duck_wh, config, sleep=waits.append, log=lambda *a: None) == {
        "sent": 0, "failed": 1, "would_send": 0}
    assert waits == [1.0, 2.0, 4.0] and len(Robot.posts) == 4
    Robot.fail_first = 0
    assert notify.send(duck_wh, config, sleep=waits.append, log=lambda *a: None)["sent"] == 1


def test_dry_run_and_the_command_line(tmp_path, robot, smtp):
    from warehouse import open_warehouse

    _, port = smtp
    db = str(tmp_path / "w.duckdb")
    wh = open_warehouse(db)
    from conftest import FIXTURES
    from loaders import load_file
    load_file(wh, "tickets", FIXTURES / "metrics" / "tickets.csv")
    two_overdue_actions(wh)
    wh.dispose()
    channels(tmp_path, robot, port)
    out = subprocess.run([sys.executable, "-m", "alerts", "--db", db, "run", "--month", "2026-10", "--today",
                          "2026-10-09", "--dry-run", "--channels", str(tmp_path / "channels.toml")],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "[dry-run] 华东群 (wecom)" in out.stdout and "将发送" in out.stdout and not Robot.posts
    bad = tmp_path / "bad.toml"
    bad.write_text("[channels.x]\ntype = \"fax\"\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "alerts", "--db", db, "run", "--channels", str(bad)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "fax" in out.stderr and "Traceback" not in out.stderr


def test_the_weekly_complaint_report_goes_to_robots_and_mail_with_its_files(duck_wh, tmp_path, robot, smtp):
    from metrics import Scope
    from reports import complaints as cr
    from test_complaints import load

    box, port = smtp
    config = channels(tmp_path, robot, port)
    access.save_viewers(duck_wh, [access.Viewer("nan@example.com", role="manager", regions=("华南",)),
                                  access.Viewer("boss@example.com", role="admin")])
    load(duck_wh)
    rep = cr.create(duck_wh, "weekly", "2026-W44", viewer=Scope.all(), by="cron")
    files = (("周报.pdf", cr.pdf_bytes(rep), "application/pdf"), ("周报.xlsx", cr.workbook(rep), "application/vnd.ms-excel"))
    counts = notify.send_report(duck_wh, config, rep, ["华东群", "南经理", "总经理"], files, sleep=lambda s: None,
                                log=lambda *a: None)
    # the whole company's report: 南经理 (a 华南 viewer) is skipped
    assert counts == {"sent": 2, "failed": 0, "would_send": 0, "skipped": 1}
    (path, body), = [(p, b) for p, b in Robot.posts if p.startswith("/cgi-bin/webhook/send")]
    # W44: TS07 and TS08 (2 complaints); 6 open at the week's end, 4 of them overdue
    assert body["text"]["content"].startswith("【投诉周报 · 2026-W44 · 全部】")
    assert "投诉 2、意见 0、建议 0；未闭环 6 条，其中超时 4 条" in body["text"]["content"]
    assert "https://dash.example.com/complaints" in body["text"]["content"]
    (tos, content), = box.mails
    assert tos == ["boss@example.com"]
    import email
    from email import policy

    msg = email.message_from_string(content, policy=policy.default)
    names = [part.get_filename() for part in msg.iter_attachments()]
    assert names == ["周报.pdf", "周报.xlsx"]
    assert list(msg.iter_attachments())[0].get_content()[:4] == b"%PDF"
    with pytest.raises(Exception) as exc:
        notify.send_report(duck_wh, config, rep, ["无此渠道"], files)
    assert "无此渠道" in str(exc.value)


def test_the_report_command_dry_run(tmp_path, robot, smtp, monkeypatch):
    from alerts.__main__ import main
    from test_complaints import load
    from warehouse import open_warehouse

    db = str(tmp_path / "w.duckdb")
    wh = open_warehouse(db)
    load(wh)
    wh.dispose()
    config_path = tmp_path / "channels.toml"
    channels(tmp_path, robot, smtp[1])
    assert main(["--db", db, "report", "notice", "--month", "2026-10", "--department", "装维部", "--to", "华东群",
                 "--channels", str(config_path), "--dry-run"]) == 0
    assert Robot.posts == []
    assert main(["--db", db, "report", "weekly", "--to", "华东群", "--channels", str(config_path)]) == 2
