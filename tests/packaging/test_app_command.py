"""`installpulse app`: binds 127.0.0.1 by default and carries .streamlit/config.toml's settings
(which an installed app started from another folder would not read) as `streamlit run` flags."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pipelines import cli
from tests.conftest import REPO


def _config_toml() -> dict[str, object]:
    with (REPO / ".streamlit" / "config.toml").open("rb") as fh:
        config = tomllib.load(fh)
    return {
        f"{section}.{key}": value for section, keys in config.items() for key, value in keys.items()
    }


def test_app_flags_are_the_config_toml_settings() -> None:
    assert cli.STREAMLIT_OPTIONS == _config_toml()


def test_app_defaults_to_this_machine_and_runs_the_packaged_entry() -> None:
    args = cli.build_parser().parse_args(["app"])
    assert (args.address, args.port, args.func) == ("127.0.0.1", 8501, cli.cmd_app)
    command = cli.app_command(args.address, args.port)
    assert command[1:4] == ["-m", "streamlit", "run"]
    assert Path(command[4]) == REPO / "app_pages" / "main.py"
    flags = dict(zip(command[5::2], command[6::2], strict=True))
    assert flags == {
        "--server.headless": "true",
        "--server.maxUploadSize": "500",
        "--server.enableXsrfProtection": "true",
        "--runner.postScriptGC": "false",
        "--browser.gatherUsageStats": "false",
        "--client.toolbarMode": "minimal",
        "--theme.base": "light",
        "--server.address": "127.0.0.1",
        "--server.port": "8501",
    }


def test_app_takes_port_address_and_db() -> None:
    args = cli.build_parser().parse_args(
        ["app", "--port", "9000", "--address", "0.0.0.0", "--db", "x.duckdb"]
    )
    assert (args.port, args.address, args.db) == (9000, "0.0.0.0", "x.duckdb")
    command = cli.app_command(args.address, args.port)
    assert command[-4:] == ["--server.address", "0.0.0.0", "--server.port", "9000"]
