"""`python -m graphs diagnose FILE [--json]`: why a program's network may not learn.

The findings of graphs.views.diagnosis, one line each (or a JSON list), and
an exit status a script can test: 1 when there is a finding, 0 when none,
2 when the program fails (its partial record's findings are still printed:
a program that stops on its NaN, by an assert or anomaly mode, is the one
that most needs them). Apart from commands.py, which registers it, so that one
stays small; what it prints goes through cli's escaped streams like the rest.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable

from graphs.cli.process import record_of
from graphs.errors import ProgramError
from graphs.record.model import Finding
from graphs.views.diagnosis import describe


def add_diagnose(commands: argparse._SubParsersAction, read: Callable[[str], str]) -> argparse.ArgumentParser:
    """`diagnose`: findings of NaN/Inf origins, vanishing and exploding gradients, dead ReLUs."""
    diagnose = commands.add_parser(
        "diagnose",
        help="why a network may not learn: where NaN or Inf first appears, vanishing and exploding "
        "gradients, dead ReLUs (exit 0: no finding, 1: a finding, 2: the program fails)",
    )
    diagnose.add_argument("program", help="a catalogue slug, a .py program file, or - for stdin")
    diagnose.add_argument(
        "--json", action="store_true", help="a list of findings: kind, line, op, node, pass and more"
    )
    diagnose.set_defaults(handler=lambda args: cmd_diagnose(args, read))
    return diagnose


def cmd_diagnose(args: argparse.Namespace, read: Callable[[str], str]) -> int:
    source = read(args.program)
    failure = None
    try:
        findings = record_of(source).findings
    except ProgramError as err:
        failure, record = err, getattr(err, "record", None)
        findings = [] if record is None else record.findings
    if args.json:
        print(json.dumps([finding_data(finding) for finding in findings], indent=2))
    else:
        for finding in findings:
            print(describe(finding))
        if not findings and failure is None:
            print("no finding: no NaN or Inf, no vanishing or exploding gradient, no dead ReLU")
    if failure is not None:
        print(f"error: {str(failure).strip().splitlines()[0]}", file=sys.stderr)
        return 2
    return 1 if findings else 0


def finding_data(finding: Finding) -> dict:
    """A finding as the JSON list has it: the record's fields, its pass as `pass`."""
    data = dataclasses.asdict(finding)
    data["pass"] = data.pop("pass_index")
    return data
