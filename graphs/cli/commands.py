"""`python -m graphs list | run | render | check`: the core from a terminal.

Programs run through `graphs.api`, the same path (checks, worker, limits) the
app uses, so what the app refuses the command line refuses too. Bad input
ends with exit status 1 and one line on stderr, never a traceback.

What a command prints goes through `graphs.cli.terminal`, which escapes the
control characters a program's text may hold; `graphs.cli.process` says where
programs run, `graphs.cli.diagnose` is the `diagnose` command and
`graphs.cli.kept_passes` the ZIP of every kept pass `render -o OUT.zip` writes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from functools import partial
from pathlib import Path

from graphs.catalogue import CATALOGUE
from graphs.cli.diagnose import add_diagnose
from graphs.cli.kept_passes import DEFAULT_FORMAT, every_pass
from graphs.cli.kept_passes import SUFFIX as ZIP_SUFFIX
from graphs.cli.process import record_of, runs_here, served_here
from graphs.cli.terminal import progress_line, table_text, terminal_output
from graphs.record.model import GraphRecord
from graphs.render import RenderOptions, to_dot
from graphs.render.export import DEFAULT_TIMEOUT, FORMATS, ExportError, dot_command, export
from graphs.render.kept_passes import FILE_FORMATS, TOTAL_SECONDS
from graphs.render.themes import THEMES
from graphs.sandbox.config import LOCAL, PROFILE_VARIABLE, PROFILES, front_end_default, profiles_help
from graphs.views.folding import KEY, UNFOLDED
from graphs.views.passes import ALL_PASSES, PassView


class InputError(Exception):
    """The program to run could not be found or read."""


def read_program(name: str) -> str:
    """A catalogue slug's program, a .py file's text, or stdin for `-`."""
    if name == "-":
        return sys.stdin.read()
    for entry in CATALOGUE:
        if entry.slug == name:
            return entry.source
    path = Path(name)
    if path.is_file():
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read {name}: {exc}") from None
    if path.suffix == ".py" or "/" in name:
        raise InputError(f"no such file: {name}")
    raise InputError(f"unknown network {name!r}; `python -m graphs list` shows the catalogue")


def cmd_list(args: argparse.Namespace) -> None:
    width = max((len(entry.slug) for entry in CATALOGUE), default=0)
    for entry in CATALOGUE:
        print(f"{entry.slug:<{width}}  {entry.title}")


def cmd_run(args: argparse.Namespace) -> None:
    source = read_program(args.program)
    with progress_line() as shown:
        record = record_of(source, shown)
    if args.json:
        print(record.to_json())
        return
    for text in record.prints:
        print(text)
    view = PassView(record, args.pass_index)
    print(view.title)
    print(node_table(record, args.digits, view))


def node_table(record: GraphRecord, digits: int | None = None, view: PassView | None = None) -> str:
    """`graphs.views.node_table` for the terminal: one line per node of one view (default: the last pass)."""
    from graphs.views.node_table import node_frame  # imports pandas: only for the table

    return table_text(node_frame(record, digits, view))


def cmd_check(args: argparse.Namespace) -> int:
    """Autograd against finite differences: exit 0 when every leaf agrees, 1 when one does not."""
    source = read_program(args.program)
    from graphs.api import check_source  # imports torch: after the cheap checks

    result = check_source(source, args.pass_index)  # before pandas, which starts a thread (cli.process)
    from graphs.record.check import EPS
    from graphs.views.check import check_frame

    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"pass {result['pass_index']} of {result['pass_count']} (0-based), float64, "
            f"central differences with eps {EPS:g}"
        )
        print(table_text(check_frame(result)))
        unchecked = result["leaves_unchecked"]
        if unchecked:
            print(f"{unchecked} more leaves not checked: the program runs too long to nudge them all")
        agree = "every checked leaf agrees" if unchecked else "every leaf agrees"
        if result["agrees"]:
            print(agree)
        elif result["kinked"]:
            print(
                "a gradient DIFFERS from its finite difference; the program has kinks (relu, max pooling, "
                "abs, clamp), where finite differences are inexact even at a 100x smaller step"
            )
        else:
            print("a gradient DISAGREES with its finite difference")
    return 0 if result["agrees"] else 1


def module_keys(text: str) -> frozenset[str]:
    """`--expand`: module and loop keys as share links and the app name them
    (`path` or `path@call`; a loop's iterations `loop@L12`, `loop@L12@37`)."""
    if text == "all":
        return UNFOLDED
    if text == "none":
        return frozenset()
    keys = [key.strip() for key in text.split(",") if key.strip()]
    bad = [key for key in keys if not KEY.fullmatch(key)]
    if bad or not keys:
        example = "e.g. model.blocks.3 or loop@L12@37"
        raise InputError(f"--expand: not a module path: {(bad or [text])[0]!r} ({example})")
    return frozenset(keys)


def output_kind(args: argparse.Namespace) -> str:
    """What `render -o` writes, told from its suffix (`zip`: every kept pass), with
    the options that cannot go with it refused before the program runs."""
    out = Path(args.output)
    kind = out.suffix.lstrip(".").lower()
    if kind not in (*FORMATS, ZIP_SUFFIX):
        raise InputError(
            f"cannot tell the format from {args.output!r}; "
            f"end the name with .{', .'.join(FORMATS)} or .{ZIP_SUFFIX} (every kept pass)"
        )
    if not out.parent.is_dir():
        raise InputError(f"cannot write {args.output}: no such directory {str(out.parent)!r}")
    if kind != ZIP_SUFFIX:
        if args.pass_format:
            raise InputError("--pass-format is the format of each file in a .zip; -o names one file")
        return kind
    for given, why in (
        (args.pass_index is not None, "--pass draws one pass"),
        (args.classic, "--classic draws one graph"),
        (args.dpi is not None, "--dpi: each PNG in a .zip is a 1080p slide"),
    ):
        if given:
            raise InputError(f"{why}; a .zip holds every kept pass")
    return kind


def render_options(args: argparse.Namespace) -> RenderOptions:
    """`render`'s view options as the renderer's."""
    return RenderOptions(
        show_values=args.values,
        show_grads=args.grads,
        show_attrs=args.attrs,
        show_order=args.order,
        digits=args.digits,
        rankdir=args.rankdir,
        theme=args.theme,
        pass_index=args.pass_index,
        folding=None if args.expand is None else module_keys(args.expand),
        overlay=args.overlay and "grad_norm",
    )


def cmd_render(args: argparse.Namespace) -> None:
    kind = output_kind(args)
    options = render_options(args)  # a bad --expand is refused before the program runs too
    source = read_program(args.program)
    if kind != "dot":
        dot_command()  # fail before running the program, not after
    if kind == ZIP_SUFFIX:
        with progress_line() as shown:
            record = record_of(source, shown)
        seconds = TOTAL_SECONDS if args.timeout is None else args.timeout
        zipped = every_pass(record, options, args.pass_format or DEFAULT_FORMAT, seconds)
        write_output(args.output, zipped.data)
        note = zipped.note(args.output)
        if note:
            print(note, file=sys.stderr)
        return
    if args.classic:
        from graphs.api import classic_in_process, classic_source

        classic = classic_in_process if runs_here(source) else classic_source
        graph = classic(source, show_attrs=args.attrs)
    else:
        with progress_line() as shown:
            graph = to_dot(record_of(source, shown), options)
    timeout = DEFAULT_TIMEOUT if args.timeout is None else args.timeout
    write_output(args.output, export(graph, kind, dpi=args.dpi, timeout=timeout))


def write_output(name: str, data: bytes) -> None:
    try:
        Path(name).write_bytes(data)
    except OSError as exc:
        raise InputError(f"cannot write {name}: {exc.strerror}") from None


def pass_number(text: str) -> int:
    """`--pass N` (0-based) or `--pass all`."""
    if text == "all":
        return ALL_PASSES
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a pass number or 'all', not {text!r}")
    return int(text)


PROGRAM_HELP = "a catalogue slug, a .py program file, or - for stdin"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m graphs", description="Autograd graphs annotated with values and gradients."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="catalogue networks: slug and title").set_defaults(handler=cmd_list)
    for add in (add_run, add_render, add_check, partial(add_diagnose, read=read_program)):
        add_sandbox_options(add(commands))
    return parser


def add_run(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """`run`: a program's graph record, as a table or JSON."""
    run = commands.add_parser("run", help="run a program and print its graph record")
    run.add_argument("program", help=PROGRAM_HELP)
    run.add_argument("--json", action="store_true", help="the full record as JSON")
    run.add_argument("--digits", type=int, help="decimals in the table (default: as torch prints)")
    run.add_argument(
        "--pass",
        dest="pass_index",
        type=pass_number,
        metavar="N",
        help="the table for backward pass N (0-based; 'all' for all passes; default: the last)",
    )
    run.set_defaults(handler=cmd_run)
    return run


def add_render(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """`render`: a program's graph drawn to a file, with the app's display options."""
    render = commands.add_parser("render", help="draw a program's graph to a file")
    render.add_argument("program", help=PROGRAM_HELP)
    render.add_argument(
        "-o",
        "--output",
        required=True,
        help="OUT.svg, .png, .pdf or .dot; OUT.zip: every kept pass, one file each, captioned with its loss "
        "(passes that could not be drawn are named in its problems.txt)",
    )
    render.add_argument(
        "--pass-format",
        choices=FILE_FORMATS,
        help="the format of each pass's file in a .zip (default svg; PNGs are 1080p slides, PDFs 16:9 pages)",
    )
    render.add_argument("--theme", choices=list(THEMES), default="light")
    render.add_argument("--dpi", type=int, help="PNG resolution (default: fit a 1080p slide)")
    render.add_argument("--digits", type=int, help="decimals shown (default: as torch prints)")
    render.add_argument("--rankdir", choices=["TB", "LR"], default="TB")
    render.add_argument("--classic", action="store_true", help="draw with torchviz.make_dot instead")
    render.add_argument("--no-values", dest="values", action="store_false")
    render.add_argument("--no-grads", dest="grads", action="store_false")
    render.add_argument("--attrs", action="store_true", help="show saved attributes")
    render.add_argument("--no-order", dest="order", action="store_false", help="hide backward step numbers")
    render.add_argument(
        "--expand",
        metavar="MODULES",
        help="module calls and loop iterations drawn open, comma-separated (model.blocks.3, model.cell@499, "
        "loop@L12@37: the loop on line 12, iteration 37), 'none' for every module and loop a box, or 'all' "
        "for the plain graph (default: a large graph opens folded to at most 150 boxes)",
    )
    render.add_argument(
        "--pass",
        dest="pass_index",
        type=pass_number,
        metavar="N",
        help="gradients and steps of backward pass N (0-based; 'all' for all passes) instead of the last",
    )
    render.add_argument("--overlay", choices=["grad-norm"], help="fill nodes by gradient norm, log scale")
    render.add_argument(
        "--timeout",
        type=float,
        help=f"seconds allowed for layout (default {DEFAULT_TIMEOUT:g}; for a .zip, "
        f"all its passes together: default {TOTAL_SECONDS:g})",
    )
    render.set_defaults(handler=cmd_render)
    return render


def add_check(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """`check`: autograd's gradients against finite differences."""
    check = commands.add_parser(
        "check",
        help="compare autograd's gradients with finite differences "
        "(exit 0: all agree, 1: one does not, 2: the program fails)",
    )
    check.add_argument("program", help=PROGRAM_HELP)
    check.add_argument("--json", action="store_true", help="the table as JSON")
    check.add_argument(
        "--pass",
        dest="pass_index",
        type=int,
        metavar="N",
        help="check backward pass N (0-based, counting every pass; default: the last)",
    )
    check.set_defaults(handler=cmd_check)
    return check


def add_sandbox_options(command: argparse.ArgumentParser) -> None:
    """The limits a command that runs a program is run under."""
    command.add_argument(
        "--trusted",
        action="store_true",
        help="your own program on your own machine: no seccomp filter or file limits "
        "(it may read files); time and memory limits stay",
    )
    command.add_argument(
        "--profile",
        choices=PROFILES,
        help=f"the program's limits: {profiles_help()}; default local, or {PROFILE_VARIABLE}",
    )


def is_user_error(exc: Exception) -> bool:
    """Errors caused by the input, shown as one line; anything else is a bug and keeps its traceback."""
    if isinstance(exc, (InputError, ExportError, ValueError)):
        return True
    from graphs.errors import ProgramError

    return isinstance(exc, ProgramError)


def main(argv: list[str] | None = None) -> int:
    with terminal_output():
        return run_command(argv)


def run_command(argv: list[str] | None) -> int:
    """Parse and run one command; `main` has the terminal's streams escaped around it."""
    args = build_parser().parse_args(argv)
    # Both are read by the sandbox's config, as in the app.
    if getattr(args, "trusted", False):
        os.environ["AUTOGRAD_EXPLORER_TRUSTED"] = "1"
    if getattr(args, "profile", None):
        os.environ[PROFILE_VARIABLE] = args.profile
    try:
        with front_end_default(LOCAL), served_here():  # the terminal is the user's own machine
            status = args.handler(args)
    except KeyboardInterrupt:  # Ctrl-C: every worker is reaped already (`served_here`)
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `python -m graphs run x | head`: the reader left early
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 0
    except Exception as exc:
        if not is_user_error(exc):
            traceback.print_exc()  # a bug: its traceback, escaped too (it can quote a program's text)
            return 1
        message = str(exc).strip().splitlines()
        print(f"error: {message[0] if message else type(exc).__name__}", file=sys.stderr)
        return 2 if args.command in ("check", "diagnose") else 1  # their 1: a disagreement, a finding
    return status or 0
