"""Helpers of the alert tests: a webhook receiver on 127.0.0.1 (stdlib threaded http.server)
that records every request and answers from a script, and CSVs of a quiet series to spike.

The receiver's script is a list of answers (status, delay, headers) used in order, the last
one repeated. A delayed answer waits on the server's stop event (never a bare sleep), and the
receiver records whether it had answered when the test looked: a test asserts "the import
returned before the slow receiver answered", an observation of order, not a stopwatch reading.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SECRET_PATH = "/services/T000/B000/XXXXSECRETXXXX"
APP = "Acme"
FIRST_DAY = date(2026, 1, 1)
#: The quiet history: a 4-day cycle (no weekday pattern), so every 28-day window holds seven
#: of each value: median 100, MAD 1 (fourteen deviations of 0, fourteen of 2).
CYCLE = (98, 100, 102, 100)
HISTORY_DAYS = 40  # days 0..39; day 40 (Tue 10 Feb 2026) is the first day after it


@dataclass
class Answer:
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict] = []
        self.script: list[Answer] = [Answer()]
        self.answered = threading.Event()  # set when a delayed answer was finally written
        self.stopping = threading.Event()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}{SECRET_PATH}"

    def next_answer(self) -> Answer:
        with self._lock:
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    def bodies(self) -> list[dict]:
        return [r["json"] for r in self.requests]


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        size = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(size)
        self.server.requests.append(
            {
                "path": self.path,
                "content_type": self.headers.get("Content-Type"),
                "json": json.loads(raw.decode("utf-8")),
            }
        )
        answer = self.server.next_answer()
        if answer.delay:
            if self.server.stopping.wait(answer.delay):
                return
        try:
            self.send_response(answer.status)
            for key, value in answer.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)
        except OSError:
            pass  # the client gave up first
        finally:
            if answer.delay:
                self.server.answered.set()


def day(n: int) -> date:
    return FIRST_DAY + timedelta(days=n)


def write_csv(path: Path, rows: list[tuple[int, float]], app: str = APP) -> Path:
    """A generic long CSV of (day number, value) rows of `app`, US, iOS uninstalls."""
    lines = ["date,app,platform,country,metric,value,source"]
    lines += [f"{day(n).isoformat()},{app},ios,US,uninstalls,{v:g},generic" for n, v in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def history_rows() -> list[tuple[int, float]]:
    return [(n, CYCLE[n % 4]) for n in range(HISTORY_DAYS)]
