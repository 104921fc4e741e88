"""`streamlit run app.py` as the README shows it: this machine only, and nothing asked of the
outside world at start (issue 11 item 4).

The app has no sign-in, so listening on every interface would hand the data and the uploads
to the network; and a headless Streamlit with no `server.address` asks checkip.amazonaws.com
for the machine's public address to print an "External URL". `.streamlit/config.toml` binds
127.0.0.1; listening elsewhere is a deliberate `--server.address` (README).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pipelines import cli
from tests.conftest import REPO

START_TIMEOUT_S = 60  # a bound on a hung start, not a performance threshold
BANNER = b"You can now view your Streamlit app"


def test_config_toml_binds_loopback() -> None:
    with (REPO / ".streamlit" / "config.toml").open("rb") as fh:
        config = tomllib.load(fh)
    assert config["server"]["address"] == "127.0.0.1"
    assert config["browser"]["gatherUsageStats"] is False
    # `installpulse app` (started outside the repository) binds the same address by default.
    assert cli.build_parser().parse_args(["app"]).address == "127.0.0.1"


@dataclass
class ProxyRecorder:
    """A local socket named as the HTTP(S) proxy of the server's environment: every request
    made through `requests`/`urllib` (Streamlit's external-IP lookup among them) lands here
    instead of on the internet, and its first line is recorded."""

    listener: socket.socket = field(default_factory=lambda: socket.create_server(("127.0.0.1", 0)))
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    first = conn.recv(4096).split(b"\r\n", 1)[0]
                except OSError:
                    first = b"(no request line)"
                self.requests.append(first.decode("latin-1"))


def _listening_addresses(port: int) -> set[str]:
    """Local addresses in LISTEN state on `port`, from /proc/net/tcp and tcp6."""
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].split(":")
            if fields[3] == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                raw = bytes.fromhex(address)
                # The kernel prints each 32-bit word in host (little-endian) order.
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
                family = socket.AF_INET if len(raw) == 4 else socket.AF_INET6
                found.add(socket.inet_ntop(family, words))
    return found


def _non_loopback_address() -> str | None:
    """This machine's address on its default route (a UDP connect sends no packet)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only the route is looked up
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") or address == "0.0.0.0" else address


@pytest.fixture
def started_app(tmp_path: Path) -> Iterator[tuple[int, ProxyRecorder, Path]]:
    """`streamlit run app.py --server.port N` from the repository, exactly as the README
    says (no --server.address), on an empty temp database; proxies pointed at a recorder."""
    recorder = ProxyRecorder()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("STREAMLIT_SERVER_")}
    for name in ("no_proxy", "NO_PROXY"):
        env.pop(name, None)
    env.update(
        INSTALLPULSE_DB=str(tmp_path / "exposure.duckdb"),
        HTTP_PROXY=recorder.url,
        HTTPS_PROXY=recorder.url,
        http_proxy=recorder.url,
        https_proxy=recorder.url,
    )
    log = tmp_path / "streamlit.log"
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        limit = time.monotonic() + START_TIMEOUT_S
        # The banner is printed after Streamlit chose the URLs to show (and after any
        # external-IP lookup it makes for them), and after the server listens.
        while BANNER not in log.read_bytes():
            if proc.poll() is not None or time.monotonic() > limit:
                pytest.fail(f"streamlit did not start; its output:\n{log.read_text()}")
            time.sleep(0.2)
        yield port, recorder, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        recorder.listener.close()


def test_streamlit_run_listens_on_loopback_only_and_asks_nobody(
    started_app: tuple[int, ProxyRecorder, Path],
) -> None:
    port, recorder, log = started_app
    assert _listening_addresses(port) == {"127.0.0.1"}, log.read_text()
    other = _non_loopback_address()
    if other is not None:  # the machine has another address: the app must not answer there
        with pytest.raises(OSError), socket.create_connection((other, port), timeout=2):
            pass
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        pass  # and it does answer here
    assert recorder.requests == [], (
        f"outbound requests at start: {recorder.requests}\n{log.read_text()}"
    )
