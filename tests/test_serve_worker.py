"""`paperwire serve` runs the background worker beside the web server and stops both."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from support import base_env

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[str]:
    out = subprocess.run(
        ["ps", "-o", "args=", "--ppid", str(pid)], capture_output=True, text=True, check=False
    )
    return [line.strip() for line in out.stdout.splitlines() if line.strip()]


@pytest.mark.slow
def test_serve_starts_the_worker_and_sigterm_stops_everything(tmp_path: Path) -> None:
    port = _free_port()
    env = base_env()
    env.update(PAPERWIRE_DATA_DIR=str(tmp_path), PAPERWIRE_EMBED_AFTER_INGEST="0")
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "paperwire"), "serve", "--port", str(port), "--no-demo"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/about", timeout=2) as r:
                    assert r.status == 200
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        children = _children(process.pid)
        assert any("paperwire.cli worker" in c for c in children), children
        assert any("granian" in c for c in children), children
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) is not None
        assert _children(process.pid) == []
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
