"""A light client of a real Streamlit server: its own session protocol over the websocket.

A browser would measure the browser; twenty of them would swamp a 2-core machine.  This client
does what the browser's Streamlit frontend does on the wire and nothing else: it opens
``/_stcore/stream`` with the XSRF token and the signed sign-in cookie (made with the server's
``cookie_secret`` and Streamlit's own signing helper, as the server's OIDC callback would), asks
for a run of the app (``BackMsg.rerun_script`` with the query string), and reads the
``ForwardMsg`` stream until the script has finished, counting the KPI cards (``metric``
elements) and any exception drawn.

``serve`` starts ``streamlit run app.py`` in a scratch folder whose ``.streamlit/secrets.toml``
holds an ``[auth]`` section (nothing is fetched from it until someone presses 登录, so no provider
needs to run).
"""
from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.measure import ROOT


@dataclass
class Server:
    base: str
    secret: str
    proc: subprocess.Popen = field(repr=False)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far."""
        parts = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(db: str, folder: Path, port: int | None = None, auth: bool = True) -> Server:
    """``auth=False``: local mode (no ``[auth]``; the server listens on loopback only)."""
    port = port or _free_port()
    base = f"http://127.0.0.1:{port}"
    db = db if "://" in db else str(Path(db).absolute())   # the server runs in ``folder``
    secret = secrets.token_hex(16)
    (folder / ".streamlit").mkdir(parents=True, exist_ok=True)
    if auth:
        (folder / ".streamlit" / "secrets.toml").write_text(
            "[auth]\n"
            f'redirect_uri = "{base}/oauth2callback"\n'
            f'cookie_secret = "{secret}"\n'
            'client_id = "bench"\nclient_secret = "bench"\n'
            'server_metadata_url = "http://127.0.0.1:9/.well-known/openid-configuration"\n')
    log = open(folder / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=folder, env={**os.environ, "CSDASH_DB": db, "PYTHONPATH": str(ROOT)}, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"streamlit 未能启动：{(folder / 'server.log').read_text()[-2000:]}")
        time.sleep(0.3)
    return Server(base, secret, proc)


@dataclass
class Visit:
    seconds: float            # from the request to the last KPI card (or the end of the run)
    cards: int
    errors: list[str]


def visit(server: Server, email: str, query: str, timeout: float = 600) -> Visit:
    """One session, signed in as ``email``, opens the app's default page (the overview)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.web.server.starlette.starlette_app_utils import create_signed_value, generate_xsrf_token_string
    from websockets.sync.client import connect

    token = generate_xsrf_token_string()
    user = json.dumps({"origin": server.base, "is_logged_in": True, "email": email, "name": email})
    signed = create_signed_value(server.secret, "_streamlit_user", user).decode("latin-1")
    cookie = f"_streamlit_xsrf={token}; _streamlit_user={signed}"
    url = server.base.replace("http://", "ws://") + "/_stcore/stream"
    errors: list[str] = []
    cards, last = 0, None
    with connect(url, subprotocols=["streamlit", token], origin=server.base,
                 additional_headers={"Cookie": cookie}, max_size=None, open_timeout=60, ping_interval=None) as ws:
        back = BackMsg()
        back.rerun_script.query_string = query
        back.rerun_script.page_script_hash = ""
        t0 = time.perf_counter()
        ws.send(back.SerializeToString())
        deadline = t0 + timeout
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(ws.recv(timeout=max(1.0, deadline - time.perf_counter())))
            kind = msg.WhichOneof("type")
            if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element.WhichOneof("type")
                if element == "metric":
                    cards, last = cards + 1, time.perf_counter()
                elif element == "exception":
                    errors.append(msg.delta.new_element.exception.message[:300])
            elif kind == "script_finished":
                # a run that stops to switch page or rerun is followed by the real one
                if msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY and cards:
                    break
                if msg.script_finished in (ForwardMsg.FINISHED_WITH_COMPILE_ERROR,):
                    errors.append("compile error")
                    break
            if time.perf_counter() > deadline:
                errors.append("timeout")
                break
    end = last or time.perf_counter()
    if not cards and not errors:
        errors.append("no KPI card")
    return Visit(end - t0, cards, errors)
