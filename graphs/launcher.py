"""`autograd-explorer`: start the app from any directory, installed or not.

`streamlit run app.py` in the checkout reads `.streamlit/config.toml` from the
current directory; an installed copy is started from anywhere, where Streamlit
would find no such file and run with its defaults (a file watcher that crawls
torch, a gc pass after every run, the developer toolbar). So the launcher
reads the same settings (`streamlit_config.toml` in this package, a link to
`.streamlit/config.toml`; the wheel carries a copy) and hands them to
Streamlit as command-line flags, which rank above every config file. Flags
the user adds come after ours and win; anything this launcher does not know
goes to `streamlit run` unchanged.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
APP = PACKAGE.parent / "app.py"  # beside the package, in a checkout and in site-packages
CONFIG = PACKAGE / "streamlit_config.toml"
TRUSTED_VARIABLE = "AUTOGRAD_EXPLORER_TRUSTED"


@dataclass(frozen=True)
class Launch:
    """What to exec: the command line and the variables to add to the environment."""

    argv: list[str]
    env: dict[str, str]


def config_flags(config: Path = CONFIG) -> list[str]:
    """`--section.option=value` for every setting in a Streamlit config.toml."""
    with config.open("rb") as file:
        return list(_flags("", tomllib.load(file)))


def _flags(prefix: str, table: dict) -> Iterator[str]:
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):  # a nested table, e.g. [theme.sidebar]
            yield from _flags(name, value)
        else:
            yield f"--{name}={str(value).lower() if isinstance(value, bool) else value}"


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autograd-explorer",
        allow_abbrev=False,
        description="Start Autograd Explorer (a Streamlit app) on http://localhost:PORT.",
        epilog="Any other option goes to `streamlit run` (see `streamlit run --help`), "
        "e.g. --server.address 0.0.0.0 or --server.baseUrlPath explorer.",
    )
    parser.add_argument("--port", type=int, default=8501, help="port to serve on (default 8501)")
    parser.add_argument(
        "--trusted",
        action="store_true",
        help=f"trusted local use, e.g. a teacher's own machine (sets {TRUSTED_VARIABLE}=1)",
    )
    return parser


def plan(argv: list[str]) -> Launch:
    """The `streamlit run` command for these arguments, without running it."""
    args, passthrough = parser().parse_known_args(argv)
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        *config_flags(),
        f"--server.port={args.port}",
        *passthrough,
    ]
    return Launch(argv=command, env={TRUSTED_VARIABLE: "1"} if args.trusted else {})


def main(argv: list[str] | None = None) -> int:
    launch = plan(sys.argv[1:] if argv is None else argv)
    if importlib.util.find_spec("streamlit") is None:
        print(
            'autograd-explorer: Streamlit is not installed; `pip install "autograd-explorer[app]"` adds it',
            file=sys.stderr,
        )
        return 1
    os.environ.update(launch.env)
    os.execv(launch.argv[0], launch.argv)  # Streamlit gets the terminal, the signals, the exit code


if __name__ == "__main__":
    sys.exit(main())
