"""One Streamlit session spoken over its own websocket protocol: what a browser tab sends and
receives, without a browser.

A browser tab of a Streamlit app is a websocket on ``/_stcore/stream`` carrying protobufs:
``BackMsg`` up (``rerun_script`` with a ``ClientState``: the URL's query string, the page's
script hash and the state of every widget on the page), ``ForwardMsg`` down (``new_session``,
``navigation``, one ``delta`` per element, ``page_info_changed`` when the page rewrites its
query string, ``script_finished``). :class:`Session` does what the frontend does with them:

* it opens a page by its URL path and query string (``page_name`` on the first rerun, then the
  ``page_script_hash`` the server's ``navigation`` names);
* it keeps the state of every widget drawn in the last run, read from the widget's own element
  (``set_value``/``raw_values``/``value``, else its ``default``), forgets widgets the last run
  did not draw, and sends all of them with every rerun, as the frontend's WidgetStateManager
  does - so a change of one filter is a rerun in which every other widget keeps its value;
* it finds widgets by their label, as a person does.

A rerun's time is from sending the ``BackMsg`` to receiving ``script_finished``: the server's
whole round trip (script, reads, figure, serialisation, the socket), not the browser's drawing.
What came back is checked, not only timed (:class:`Rerun`): an exception element, an error
alert or an alert saying the database is in use or a read failed, a finish other than success,
no finish within the limit; whether a chart with data arrived; the sidebar's counts.

Used by ``benchmarks.bench_load`` (the load test) and ``tests/concurrency``. Only the
``websockets`` client that streamlit itself depends on, and streamlit's own proto modules.
"""

from __future__ import annotations

import asyncio
import re
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

# Alerts that say a read did not happen (the page's own sentences for a held or broken store).
TROUBLE = re.compile(r"is in use|Traceback|failed|cannot", re.IGNORECASE)
ERROR_ALERT = 1  # Alert.Format.ERROR
COUNTS = re.compile(r"([\d,]+) daily values")
FINISHED_OK = ForwardMsg.FINISHED_SUCCESSFULLY
FINISHED_EARLY_FOR_RERUN = ForwardMsg.FINISHED_EARLY_FOR_RERUN
WIDGETS = frozenset(
    {"multiselect", "date_input", "selectbox", "button_group", "slider", "number_input",
     "text_input", "text_area", "checkbox"}
)  # fmt: skip


class SessionClosed(RuntimeError):
    """The server closed the websocket (or it broke) in the middle of a run."""


@dataclass
class Rerun:
    """What one rerun took and brought back."""

    seconds: float | None  # BackMsg sent -> script_finished received; None: not within limit
    problems: list[str] = field(default_factory=list)
    chart_bytes: int = 0  # size of the plotly chart's spec (0: no chart arrived)
    counts: str = ""  # the sidebar's "N apps · N series · N daily values · ..." line
    sentences: list[str] = field(default_factory=list)  # the page's "- ..." bullet lines
    elements: int = 0

    @property
    def ok(self) -> bool:
        return self.seconds is not None and not self.problems

    def daily_values(self) -> int | None:
        found = COUNTS.search(self.counts)
        return int(found.group(1).replace(",", "")) if found else None


def _has(msg: Any, name: str) -> bool:
    try:
        return msg.HasField(name)
    except ValueError:  # not an optional field: present when not empty
        return bool(getattr(msg, name))


def widget_state(kind: str, el: Any) -> WidgetState | None:
    """The value a browser holds for a freshly drawn widget, as the frontend sends it back:
    the server's value when it set one (``set_value``), else the element's default. Form
    widgets (sent on submit only), buttons and charts are left out, as the frontend does."""
    if kind not in WIDGETS or getattr(el, "form_id", ""):
        return None
    state = WidgetState(id=el.id)
    given = bool(getattr(el, "set_value", False))
    if kind in ("multiselect", "button_group"):
        if given:
            values = list(el.raw_values)
        elif kind == "multiselect":
            values = [el.options[i] for i in el.default]
        else:
            values = [el.options[i].content for i in el.default]
        state.string_array_value.data.extend(values)
    elif kind == "selectbox":
        value = None
        if given:
            value = el.raw_value if _has(el, "raw_value") else None
        elif _has(el, "default"):
            value = el.options[el.default]
        if value is not None:
            state.string_value = value
    elif kind == "date_input":
        state.string_array_value.data.extend(list(el.value) if given else list(el.default))
    elif kind == "slider":
        if el.options:  # a select_slider: the formatted options
            chosen = list(el.raw_value) if given else [el.options[int(i)] for i in el.default]
            state.string_array_value.data.extend(chosen)
        else:
            state.double_array_value.data.extend(list(el.value) if given else list(el.default))
    elif kind == "number_input":
        state.double_value = el.value if given else el.default
    elif kind in ("text_input", "text_area"):
        state.string_value = el.value if given else el.default
    elif kind == "checkbox":
        state.bool_value = el.value if given else el.default
    return state


def set_value(state: WidgetState, kind: str, value: Any) -> None:
    """Put what a person picked into a widget's state (labels as shown, dates as ISO text)."""
    state.ClearField(state.WhichOneof("value") or "string_value")
    if kind in ("multiselect", "date_input", "button_group") or (
        kind == "slider" and isinstance(value, str)
    ):
        values = value if isinstance(value, list | tuple) else [value]
        state.string_array_value.data.extend(str(v) for v in values)
    elif kind == "selectbox":
        if value is not None:
            state.string_value = str(value)
    elif kind == "checkbox":
        state.bool_value = bool(value)
    elif kind == "number_input":
        state.double_value = float(value)
    else:
        state.string_value = str(value)


class Session:
    """One browser tab's websocket: open a page, change widgets, each a timed rerun."""

    def __init__(self, url: str, limit_s: float = 60.0) -> None:
        self.ws_url = url.replace("http://", "ws://", 1).rstrip("/") + "/_stcore/stream"
        self.url = url.rstrip("/")
        self.limit_s = limit_s
        self.ws: Any = None
        self.page_hash = ""
        self.query = ""
        self.path = ""
        self.states: dict[str, WidgetState] = {}  # widget id -> its state (drawn last run)
        self.widgets: dict[str, tuple[str, Any]] = {}  # label -> (kind, element), last run
        self.last: Rerun | None = None

    async def connect(self) -> None:
        # Sub-protocol "streamlit" as the frontend sends it (its 2nd and 3rd entries, an XSRF
        # token and a session to resume, are for a browser's cookies; a new session needs none).
        self.ws = await websockets.connect(
            self.ws_url, subprotocols=["streamlit"], max_size=None, open_timeout=self.limit_s
        )

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None

    async def open(self, path: str, query: dict | str) -> Rerun:
        """The first run of page `path` (its URL path, "" for the default page) with `query`."""
        if self.ws is None:
            await self.connect()
        self.path = path
        self.query = query if isinstance(query, str) else urllib.parse.urlencode(query, True)
        msg = BackMsg()
        msg.rerun_script.query_string = self.query
        msg.rerun_script.page_name = path
        return await self._run(msg)

    async def change(self, label: str, value: Any) -> Rerun:
        """Set the widget labelled `label` to `value` and rerun with every widget's state."""
        if label not in self.widgets:
            raise KeyError(f"no widget labelled {label!r} on the page (has {sorted(self.widgets)})")
        kind, el = self.widgets[label]
        state = self.states.get(el.id) or WidgetState(id=el.id)
        set_value(state, kind, value)
        self.states[el.id] = state
        msg = BackMsg()
        msg.rerun_script.query_string = self.query
        msg.rerun_script.page_script_hash = self.page_hash
        msg.rerun_script.widget_states.widgets.extend(self.states.values())
        return await self._run(msg)

    def _context(self, msg: BackMsg) -> None:
        info = msg.rerun_script.context_info
        info.timezone, info.timezone_offset, info.locale = "UTC", 0, "en-US"
        info.url = f"{self.url}/{self.path}" + (f"?{self.query}" if self.query else "")

    async def _run(self, msg: BackMsg) -> Rerun:
        self._context(msg)
        drawn: dict[str, tuple[str, Any]] = {}
        out = Rerun(seconds=None)
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        deadline = t0 + self.limit_s
        late = False
        while True:
            wait = deadline - time.perf_counter()
            if wait <= 0 and not late:  # counted as an error; a person waits on, so do we
                out.problems.append(f"no finish within {self.limit_s:g} s")
                late, deadline = True, time.perf_counter() + 10 * self.limit_s
                continue
            if wait <= 0:
                raise SessionClosed(f"no finish within {11 * self.limit_s:g} s")
            try:
                raw = await asyncio.wait_for(self.ws.recv(), timeout=wait)
            except TimeoutError:
                continue
            except websockets.ConnectionClosed as exc:
                raise SessionClosed(f"the server closed the session: {exc}") from exc
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)
            kind = fwd.WhichOneof("type")
            if kind == "delta":
                self._delta(fwd, out, drawn)
            elif kind == "page_info_changed":
                self.query = fwd.page_info_changed.query_string
            elif kind == "new_session":
                self.page_hash = self.page_hash or fwd.new_session.page_script_hash
            elif kind == "navigation":
                self.page_hash = fwd.navigation.page_script_hash
            elif kind == "page_not_found":
                out.problems.append(f"page not found: {fwd.page_not_found.page_name}")
            elif kind == "script_finished":
                if fwd.script_finished == FINISHED_EARLY_FOR_RERUN:
                    continue  # the page called st.rerun(): the same action goes on
                if not late:
                    out.seconds = time.perf_counter() - t0
                if fwd.script_finished != FINISHED_OK:
                    name = ForwardMsg.ScriptFinishedStatus.Name(fwd.script_finished)
                    out.problems.append(f"script finished {name}")
                break
        # The frontend drops the state of widgets the run did not draw.
        self.widgets = drawn
        ids = {el.id for _, el in drawn.values()}
        self.states = {i: s for i, s in self.states.items() if i in ids}
        for kind, el in drawn.values():
            if el.id not in self.states or getattr(el, "set_value", False):
                state = widget_state(kind, el)
                if state is not None:
                    self.states[el.id] = state
        self.last = out
        return out

    def _delta(self, fwd: ForwardMsg, out: Rerun, drawn: dict[str, tuple[str, Any]]) -> None:
        if fwd.delta.WhichOneof("type") != "new_element":
            return
        element = fwd.delta.new_element
        kind = element.WhichOneof("type")
        el = getattr(element, kind)
        out.elements += 1
        if kind in WIDGETS and el.label:
            drawn[el.label] = (kind, el)
        elif kind == "plotly_chart":
            out.chart_bytes = len(el.spec)
        elif kind == "exception":
            out.problems.append(f"exception: {el.type}: {el.message[:200]}")
        elif kind == "alert":
            if el.format == ERROR_ALERT or TROUBLE.search(el.body):
                out.problems.append(f"alert: {el.body[:200]}")
        elif kind == "markdown":
            if COUNTS.search(el.body):
                out.counts = el.body
            elif el.body.startswith("- "):
                out.sentences.append(el.body)
