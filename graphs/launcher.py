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

It also picks the sandbox's limits profile (docs/sandbox.md). Left to itself
it serves this machine only (`--server.address=localhost`) with the `local`
profile, so a teacher's real training script can finish. Once the user chooses
where the server listens (`--server.address`, even 127.0.0.1, which may sit
behind a proxy; or STREAMLIT_SERVER_ADDRESS), strangers may reach it, so it
picks `hosted`. `--profile`, then AUTOGRAD_EXPLORER_PROFILE, override that.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from graphs.sandbox.config import HOSTED, LOCAL, PROFILE_VARIABLE, PROFILES, profiles_help

PACKAGE = Path(__file__).resolve().parent
APP = PACKAGE.parent / "app.py"  # beside the package, in a checkout and in site-packages
CONFIG = PACKAGE / "streamlit_config.toml"
TRUSTED_VARIABLE = "AUTOGRAD_EXPLORER_TRUSTED"
ADDRESS_FLAG = "--server.address"
ADDRESS_VARIABLE = "STREAMLIT_SERVER_ADDRESS"


@dataclass(frozen=True)
class Launch:
    """What to exec: the command line, the variables to add to the environment,
    and the line that tells the user which limits programs get, and why."""

    argv: list[str]
    env: dict[str, str]
    note: str


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
    parser.add_argument(
        "--profile",
        choices=PROFILES,
        help=f"the programs' limits (sets {PROFILE_VARIABLE}): {profiles_help()}; default: local "
        "while the server listens on localhost only, hosted once you choose --server.address",
    )
    return parser


def plan(argv: list[str], environ: Mapping[str, str] | None = None) -> Launch:
    """The `streamlit run` command for these arguments (and `environ`, default
    the process's), without running it."""
    environ = os.environ if environ is None else environ
    args, passthrough = parser().parse_known_args(argv)
    flags = [*config_flags(), f"--server.port={args.port}", *passthrough]
    chosen = chosen_address(flags)
    if chosen is None:
        chosen = environ.get(ADDRESS_VARIABLE)
    env = {TRUSTED_VARIABLE: "1"} if args.trusted else {}
    profile, note = pick_profile(args.profile, environ.get(PROFILE_VARIABLE), chosen)
    if args.profile or PROFILE_VARIABLE not in environ:
        env[PROFILE_VARIABLE] = profile
    own_address = [f"{ADDRESS_FLAG}=localhost"] if chosen is None else []  # first: a later flag wins
    command = [sys.executable, "-m", "streamlit", "run", str(APP), *own_address, *flags]
    return Launch(argv=command, env=env, note=f"autograd-explorer: {note}")


def chosen_address(flags: list[str]) -> str | None:
    """The last `--server.address` among Streamlit flags (Streamlit takes the last), or None."""
    found = None
    for index, flag in enumerate(flags):
        if flag == ADDRESS_FLAG and index + 1 < len(flags):
            found = flags[index + 1]
        elif flag.startswith(ADDRESS_FLAG + "="):
            found = flag.partition("=")[2]
    return found


def pick_profile(flag: str | None, variable: str | None, address: str | None) -> tuple[str, str]:
    """The limits profile and the line saying why: the flag, then the variable,
    then where the server listens (an address the user chose may face strangers)."""
    if flag:
        return flag, f"{flag} limits for programs (--profile {flag})"
    if variable is not None:
        return variable, f"{variable} limits for programs ({PROFILE_VARIABLE}={variable})"
    if address is None:
        return LOCAL, (
            "local limits for programs: the server listens on localhost only "
            "(--server.address makes it reachable from elsewhere, with the hosted limits)"
        )
    return HOSTED, (
        f"hosted limits for programs: you chose the server's address ({address!r}), "
        "which may face other people (--profile local if only you can reach it)"
    )


def main(argv: list[str] | None = None) -> int:
    launch = plan(sys.argv[1:] if argv is None else argv)
    if importlib.util.find_spec("streamlit") is None:
        print(
            'autograd-explorer: Streamlit is not installed; `pip install "autograd-explorer[app]"` adds it',
            file=sys.stderr,
        )
        return 1
    print(launch.note, file=sys.stderr)
    os.environ.update(launch.env)
    os.execv(launch.argv[0], launch.argv)  # Streamlit gets the terminal, the signals, the exit code


if __name__ == "__main__":
    sys.exit(main())
