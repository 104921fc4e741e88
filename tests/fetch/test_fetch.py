"""URL imports against a real local HTTP server (RELIABILITY.md 1.9, 1.10, F13).

Each test asserts the bound that matters (time, bytes, addresses, attempts) and that the
error is a sentence naming the URL.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from pipelines import fetch
from pipelines.fetch import FetchFailed
from tests.bad_inputs.bad_input_helpers import run_cli, stored
from tests.fetch.conftest import OK_CSV, Server, TlsTrickler


def test_normal_csv_downloads_under_our_own_file_name(local: Server, tmp_path: Path) -> None:
    path, name = fetch.download(f"{local.base}/ok.csv", tmp_path)
    assert path.read_bytes() == OK_CSV
    assert path.parent == tmp_path and path.name == "download.bin"
    assert name == "ok.csv"


def test_slow_headers_hit_the_read_timeout(local: Server, tmp_path: Path) -> None:
    # The server is silent for 3 s: the 1 s read timeout, named in the message, ends it.
    with pytest.raises(FetchFailed) as info:
        fetch.download(f"{local.base}/slow-headers", tmp_path)
    text = info.value.render()
    assert f"{local.base}/slow-headers" in text
    assert "did not answer within 1 s" in text
    assert local.hits["/slow-headers"] == 1  # a hanging server is not retried


def test_endless_body_stops_at_the_byte_cap(local: Server, tmp_path: Path) -> None:
    with pytest.raises(FetchFailed, match=r"larger than 1 MB \(INSTALLPULSE_MAX_FILE_MB\)"):
        fetch.download(f"{local.base}/endless", tmp_path)
    assert list(tmp_path.iterdir()) == []  # the partial file is removed
    assert local.outcome("/endless") == "client hung up"


def test_declared_oversized_body_is_refused_before_it_is_read(
    local: Server, tmp_path: Path
) -> None:
    with pytest.raises(FetchFailed, match=r"larger than 1 MB \(INSTALLPULSE_MAX_FILE_MB\)"):
        fetch.download(f"{local.base}/big.csv", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_slow_drip_stops_at_the_deadline(
    local: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A body byte every 50 ms never trips the 1 s read timeout: only the deadline stops it.
    monkeypatch.setenv("INSTALLPULSE_FETCH_DEADLINE", "0.6")
    with pytest.raises(FetchFailed, match=r"longer than 0\.6 s"):
        fetch.download(f"{local.base}/drip", tmp_path)
    assert local.outcome("/drip") == "client hung up"  # before the server's own 6 s cap
    assert list(tmp_path.iterdir()) == []


def test_header_trickle_stops_at_the_deadline(
    local: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 11 item 3: one header byte every 50 ms resets every per-read timeout; the
    # overall deadline must still end the request while the headers are arriving.
    monkeypatch.setenv("INSTALLPULSE_FETCH_DEADLINE", "0.6")
    with pytest.raises(FetchFailed) as info:
        fetch.download(f"{local.base}/trickle-headers", tmp_path)
    text = info.value.render()
    assert f"{local.base}/trickle-headers" in text
    assert "took longer than 0.6 s (INSTALLPULSE_FETCH_DEADLINE)" in text
    assert local.outcome("/trickle-headers") == "client hung up"  # not the 6 s server cap
    assert local.hits["/trickle-headers"] == 1  # the deadline is final: no retry


def test_tls_handshake_trickle_stops_at_the_deadline(
    local: Server, tls_trickler: TlsTrickler, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The connect phase: a TLS server that sends its handshake one byte at a time.
    monkeypatch.setenv("INSTALLPULSE_FETCH_DEADLINE", "0.6")
    with pytest.raises(FetchFailed, match=r"took longer than 0\.6 s"):
        fetch.download(f"https://127.0.0.1:{tls_trickler.port}/ok.csv", tmp_path)
    assert tls_trickler.outcome() == "client hung up"


def test_gzip_bomb_stops_at_the_decoded_cap(local: Server, tmp_path: Path) -> None:
    with pytest.raises(FetchFailed, match="decompresses to more than 1 MB"):
        fetch.download(f"{local.base}/bomb.csv", tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.2:{port}/ok.csv",
        "http://localhost:{port}/ok.csv",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{port}/ok.csv",
        "http://0.0.0.0:{port}/ok.csv",
        "http://100.64.0.1/",
        "http://10.0.0.1/",
    ],
)
def test_redirect_to_a_private_address_is_refused(
    local: Server, tmp_path: Path, target: str
) -> None:
    target = target.format(port=local.server_address[1])
    with pytest.raises(FetchFailed) as info:
        fetch.download(f"{local.base}/redirect?to={target}", tmp_path)
    text = info.value.render()
    assert "refused:" in text and "INSTALLPULSE_FETCH_ALLOW_HOSTS" in text
    assert local.hits.get("/ok.csv") is None  # never fetched


def test_localhost_allowed_by_name_tries_each_checked_address(
    local: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # localhost may resolve to ::1 first while the server listens on 127.0.0.1 only.
    monkeypatch.setenv("INSTALLPULSE_FETCH_ALLOW_HOSTS", "localhost")
    port = local.server_address[1]
    path, _ = fetch.download(f"http://localhost:{port}/ok.csv", tmp_path)
    assert path.read_bytes() == OK_CSV
    # Pinned to an IP, yet the Host header still names the URL's host (virtual hosting).
    assert local.hosts == [f"localhost:{port}"]


def test_https_to_a_plain_http_server_is_a_tls_sentence(local: Server, tmp_path: Path) -> None:
    with pytest.raises(FetchFailed, match="secure connection failed"):
        fetch.download(f"https://127.0.0.1:{local.server_address[1]}/ok.csv", tmp_path)


def test_redirect_on_an_allowed_host_is_followed(local: Server, tmp_path: Path) -> None:
    path, name = fetch.download(f"{local.base}/redirect?to=/ok.csv", tmp_path)
    assert path.read_bytes() == OK_CSV
    assert name == "ok.csv"


def test_too_many_redirects(local: Server, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("INSTALLPULSE_FETCH_MAX_REDIRECTS", "0")
    with pytest.raises(FetchFailed, match="more than 0 redirects"):
        fetch.download(f"{local.base}/redirect?to=/ok.csv", tmp_path)


def test_404_is_a_clear_sentence(local: Server, tmp_path: Path) -> None:
    with pytest.raises(FetchFailed) as info:
        fetch.download(f"{local.base}/missing.csv", tmp_path)
    assert info.value.render() == (
        f"{local.base}/missing.csv: not imported, 1 problem found; nothing was written.\n"
        f"  - {local.base}/missing.csv: the server answered 404 Not Found. "
        "Check the address; the link may have expired."
    )


def test_503_with_retry_after_then_200_succeeds(local: Server, tmp_path: Path, monkeypatch) -> None:
    waits: list[float] = []
    caller = threading.current_thread()
    real_sleep = fetch.time.sleep

    def record(seconds: float) -> None:
        # `fetch.time` is the time module: the local server's threads (a slow handler of an
        # earlier test still finishing) sleep through it too. Record only this test's waits.
        if threading.current_thread() is caller:
            waits.append(seconds)
        else:
            real_sleep(seconds)

    monkeypatch.setattr(fetch.time, "sleep", record)  # record the wait instead of sleeping
    path, _ = fetch.download(f"{local.base}/flaky.csv", tmp_path)
    assert path.read_bytes() == OK_CSV
    assert local.hits["/flaky.csv"] == 2
    assert waits == [1.0]  # exactly the server's Retry-After: 1, once


def test_retry_after_beyond_the_cap_gives_up_at_once(local: Server, tmp_path: Path) -> None:
    with pytest.raises(FetchFailed, match="asks to retry in 3600 s, longer than the 30 s"):
        fetch.download(f"{local.base}/busy", tmp_path)
    assert local.hits["/busy"] == 1  # no wait, no second attempt


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost/",
        "http://[::1]/",
        "http://169.254.169.254/",
        "http://0.0.0.0/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://[::ffff:127.0.0.1]/",
        "http://192.168.1.1/",
        "http://[fd00::1]/",
        "http://[fe80::1]/",
    ],
)
def test_ssrf_addresses_are_refused_without_the_allow_setting(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("INSTALLPULSE_FETCH_ALLOW_HOSTS", raising=False)
    with pytest.raises(FetchFailed) as info:
        fetch.download(url, tmp_path)
    assert "refused:" in info.value.render() or "could not be resolved" in info.value.render()


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://127.0.0.1:70/", "ftp://x/y.csv"])
def test_other_schemes_are_refused(url: str, tmp_path: Path) -> None:
    with pytest.raises(FetchFailed, match="only http and https"):
        fetch.download(url, tmp_path)


def test_credentials_never_appear_in_messages(local: Server, tmp_path: Path) -> None:
    url = f"http://user:secret@127.0.0.1:{local.server_address[1]}/missing.csv"
    with pytest.raises(FetchFailed) as info:
        fetch.download(url, tmp_path)
    assert "secret" not in info.value.render()


def test_cli_imports_a_url_end_to_end(local: Server, tmp_path: Path) -> None:
    db = tmp_path / "cli.duckdb"
    env = {"INSTALLPULSE_FETCH_ALLOW_HOSTS": "127.0.0.1"}
    result = run_cli("ingest", "--db", str(db), f"{local.base}/ok.csv", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok.csv: imported as #1 (generic-long): 2 rows")
    assert stored(db) == {
        ("Fetched", "unknown", "WW", "2024-03-01", "installs", 7.0, "generic"),
        ("Fetched", "unknown", "WW", "2024-03-02", "installs", 9.0, "generic"),
    }


def test_cli_refuses_a_private_url_with_a_sentence(local: Server, tmp_path: Path) -> None:
    db = tmp_path / "cli.duckdb"
    result = run_cli(
        "ingest",
        "--db",
        str(db),
        f"{local.base}/ok.csv",
        env={"INSTALLPULSE_FETCH_ALLOW_HOSTS": ""},
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{local.base}/ok.csv" in result.stderr and "refused:" in result.stderr
    assert "/ok.csv" not in local.hits
