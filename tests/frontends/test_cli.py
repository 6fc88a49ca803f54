"""`python -m graphs` as a user runs it: a real subprocess, real programs, real `dot`."""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from graphs.render.themes import THEMES

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "graphs", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )


def assert_one_line_error(done: subprocess.CompletedProcess, *fragments: str) -> None:
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "Traceback" not in done.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture
def program(tmp_path, small_source) -> Path:
    path = tmp_path / "small.py"
    path.write_text(small_source)
    return path


def test_list_shows_catalogue_slugs_and_titles():
    done = cli("list")
    assert done.returncode == 0, done.stderr
    from graphs.catalogue import CATALOGUE

    lines = done.stdout.splitlines()
    assert len(lines) == len(CATALOGUE)
    for line, entry in zip(lines, CATALOGUE, strict=True):
        assert line.split()[0] == entry.slug and line.endswith(entry.title)


def test_run_json_has_the_record_fields(program):
    done = cli("run", str(program), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    for node in data["nodes"]:
        assert {"id", "kind", "op", "name", "shape", "value"} <= set(node)
        assert not {"grad", "order"} & set(node)  # per-pass facts live in the passes only
        assert node["kind"] in ("op", "leaf", "output")
    by_name = {(n["kind"], n["name"]): n for n in data["nodes"]}
    w = by_name[("leaf", "w")]
    assert w["shape"] == [2, 2] and w["value"] == [[1.0, 2.0], [3.0, 4.0]]
    mm = next(n for n in data["nodes"] if n["op"] == "MmBackward0")
    assert mm["value"] == [[2.0], [5.0]]
    ids = {n["id"] for n in data["nodes"]}
    assert data["edges"] and all({e["src"], e["dst"]} <= ids for e in data["edges"])
    (run,) = data["passes"]
    assert {"title", "seed", "grads", "grad_after", "order", "chain"} <= set(run)
    assert run["kind"] == "backward" and run["title"] == "loss.backward()  line 6"
    assert run["seed"] == 1.0 and run["grads"][run["roots"][0]] == 1.0
    assert run["grads"][w["id"]] == run["grad_after"][w["id"]] == [[1.0, 0.5], [1.0, 0.5]]
    assert run["grads"][mm["id"]] == [[1.0], [1.0]] and run["order"][mm["id"]] >= 1
    (link,) = [entry for entry in run["chain"][mm["id"]] if entry["input"] == w["id"]]
    assert link["jacobian"] == [[1.0, 0.5, 0.0, 0.0], [0.0, 0.0, 1.0, 0.5]]  # dz/dw for z = w x


def test_run_table_from_stdin(small_source):
    done = cli("run", "-", stdin=small_source)
    assert done.returncode == 0, done.stderr
    title, header, *rows = done.stdout.splitlines()
    assert title == "Pass 1: loss.backward()  line 6"
    assert header.split() == ["id", "kind", "op", "name", "shape", "value", "grad", ".grad", "order"]
    leaf = next(row for row in rows if " w " in row)
    assert "[1., 2.; 3., 4.]" in leaf and leaf.count("[1.0000, 0.5000; 1.0000, 0.5000]") == 2


def test_render_formats_from_extension(tmp_path):
    svg, png = tmp_path / "g.svg", tmp_path / "g.png"
    done = cli(
        "render",
        "two_layer_sigmoid",
        "-o",
        str(svg),
        "--theme",
        "slides",
        "--attrs",
        "--no-values",
        "--digits",
        "2",
    )
    assert done.returncode == 0, done.stderr
    text = svg.read_text()
    assert '<g id="n0" class="node">' in text and 'font-size="22.00"' in text
    assert ">SigmoidBackward0<" in text and ">grad<" in text and ">value<" not in text
    assert "_sym_sizes = " in text  # saved attributes shown
    done = cli(
        "render",
        "two_layer_sigmoid",
        "-o",
        str(png),
        "--dpi",
        "72",
        "--rankdir",
        "LR",
        "--no-grads",
        "--no-order",
    )
    assert done.returncode == 0, done.stderr
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width > height  # LR: a wide figure


def test_render_one_pass(tmp_path):
    out = tmp_path / "pass.dot"
    done = cli("render", "jacobian_rows", "-o", str(out), "--pass", "1")
    assert done.returncode == 0, done.stderr
    leaf = next(line for line in out.read_text().splitlines() if "<B>a</B>" in line)
    grad_colour = THEMES["light"].grad
    assert re.findall(f'<FONT COLOR="{grad_colour}">([^<]*)</FONT>', leaf) == ["0.", "1.", "1."]  # row 1
    assert_one_line_error(
        cli("render", "jacobian_rows", "-o", str(out), "--pass", "7"),
        "pass 7 does not exist; the program made 3 backward pass(es)",
    )


def test_render_a_large_graph_folded_or_as_expanded(tmp_path):
    out = tmp_path / "rnn.dot"

    def drawn(*expand: str) -> tuple[int, int, bool]:
        done = cli("render", "rnn_unrolled", "-o", str(out), *expand)
        assert done.returncode == 0, done.stderr
        text = out.read_text()
        return text.count("->"), text.count("subgraph cluster_"), "×499" in text

    edges, clusters, repeated = drawn()  # the first view: at most 150 boxes
    assert edges < 150 and clusters >= 1 and repeated
    assert drawn("--expand", "none") == (3, 0, False)  # the loss, the target, one box for `model`
    # model, its loop's last iteration and the cell call in it open; 499 iterations one box
    assert drawn("--expand", "model,loop@L19@499,model.cell@499")[1:] == (3, True)
    assert drawn("--expand", "all")[0] > 5000 and drawn("--expand", "all")[1] == 0  # the plain graph
    assert_one_line_error(
        cli("render", "rnn_unrolled", "-o", str(out), "--expand", "bad key!"), "not a module path: 'bad key!'"
    )


def test_render_classic(tmp_path, program):
    out = tmp_path / "classic.dot"
    done = cli("render", str(program), "-o", str(out), "--classic")
    assert done.returncode == 0, done.stderr
    assert "MmBackward0" in out.read_text() and "AccumulateGrad" in out.read_text()


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["run", "no_such_network"], ["unknown network 'no_such_network'"]),
        (["run", "missing/file.py"], ["no such file: missing/file.py"]),
        (["render", "add_one", "-o", "out.gif"], ["cannot tell the format"]),
    ],
)
def test_bad_input_is_one_line(args, fragments):
    assert_one_line_error(cli(*args), *fragments)


def test_program_error_has_line_and_col(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text("import torch\nx = torch.tensor(1.0) +\n")
    assert_one_line_error(cli("run", str(path)), "line 2, col 24: SyntaxError: invalid syntax")


def test_missing_dot_is_one_line(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}
    done = cli("render", "add_one", "-o", str(tmp_path / "g.svg"), env=env)
    assert_one_line_error(done, "apt-get install graphviz")
    assert not (tmp_path / "g.svg").exists()


def test_a_typed_program_gets_the_local_limits_and_the_message_says_how_to_change_them(tmp_path):
    """The terminal is the user's own machine; a variable still overrides the profile's value."""
    path = tmp_path / "slow.py"
    path.write_text("import time\ntime.sleep(60)\n")
    env = {name: value for name, value in os.environ.items() if name != "AUTOGRAD_EXPLORER_PROFILE"}
    done = cli("run", str(path), env={**env, "AUTOGRAD_EXPLORER_TIMEOUT_S": "1"})
    assert_one_line_error(done)
    assert done.stderr == (
        "error: the program ran longer than 1 s and was stopped "
        "(the local limit; set AUTOGRAD_EXPLORER_TIMEOUT_S to change it)\n"
    )


@pytest.mark.parametrize("command", [["run", "x.py"], ["render", "x.py", "-o", "x.svg"], ["check", "x.py"]])
def test_every_program_command_takes_a_profile_and_no_other(command, capsys):
    from graphs.cli.commands import build_parser

    assert build_parser().parse_args([*command, "--profile", "hosted"]).profile == "hosted"
    assert build_parser().parse_args(command).profile is None  # the front end's default: local
    with pytest.raises(SystemExit):
        build_parser().parse_args([*command, "--profile", "generous"])
    assert "invalid choice: 'generous'" in capsys.readouterr().err


def _cli_leaving_worker_state(*args: str) -> subprocess.CompletedProcess:
    """Run the CLI as `python -m graphs` does, and report at exit whether it started a fork server."""
    script = (
        "import atexit, runpy, sys\nfrom graphs.sandbox import client\n"
        "atexit.register(lambda: print('fork server started:', client._zygote is not None,\n"
        "                              file=sys.stderr))\n"
        f"sys.argv = ['graphs', *{list(args)!r}]\n"
        "runpy.run_module('graphs', run_name='__main__', alter_sys=True)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=300
    )


def test_a_catalogue_program_runs_in_the_cli_process_with_the_workers_record(program):
    """Start-up: our own program needs no fork server; its record is the one a worker gives."""
    from graphs.api import run_source
    from graphs.catalogue import CATALOGUE

    entry = CATALOGUE[0]
    done = _cli_leaving_worker_state("run", entry.slug, "--json")
    assert done.returncode == 0, done.stderr
    assert "fork server started: False" in done.stderr
    assert json.loads(done.stdout) == json.loads(run_source(entry.source).to_json())


def test_a_typed_program_from_the_cli_still_runs_in_a_worker(program):
    done = _cli_leaving_worker_state("run", str(program), "--json")
    assert done.returncode == 0, done.stderr
    assert "fork server started: True" in done.stderr


# Terminal control sequences a program can put in what the CLI prints: OSC 52
# (write the clipboard), OSC 0 (the window title), CSI 2J (clear the screen),
# a carriage return and C1's one-byte CSI. In the program's own string literals,
# and (real characters, not escapes) in the backward call's line and a Function's name.
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
TERMINAL_HOSTILE = (
    "import torch\n"
    'print("\\x1b]52;c;cHduZWQ=\\x07")\n'
    'print("\\x1b]0;title\\x07 \\x1b[2J\\roverwritten \\x9b31m")\n'
    "def forward(ctx, x):\n"
    "    return x * 2\n"
    "def backward(ctx, g):\n"
    "    return g * 2\n"
    'methods = {"forward": staticmethod(forward), "backward": staticmethod(backward)}\n'
    'Clear = type("\\x1b[2JClear", (torch.autograd.Function,), methods)\n'
    "m = torch.nn.Sequential()\n"
    'm.add_module("\\x1b]0;layer\\x07\\nnext", torch.nn.Linear(2, 1))\n'
    "x = torch.ones(2, requires_grad=True)\n"
    "y = Clear.apply(m(x)).sum()\n"
    '(y * len("\x1b]0;call\x07")).backward()\n'
)


def assert_no_controls(*outputs: str) -> None:
    for text in outputs:
        assert not CONTROLS.search(text), CONTROLS.search(text)


@pytest.fixture
def hostile(tmp_path) -> Path:
    path = tmp_path / "hostile.py"
    path.write_text(TERMINAL_HOSTILE)
    return path


def test_run_shows_a_programs_control_characters_as_escapes(hostile):
    done = cli("run", str(hostile))
    assert done.returncode == 0, done.stderr
    assert_no_controls(done.stdout, done.stderr)
    lines = done.stdout.splitlines()
    assert lines[:2] == ["\\x1b]52;c;cHduZWQ=\\x07", "\\x1b]0;title\\x07 \\x1b[2J\\x0doverwritten \\x9b31m"]
    assert lines[2] == 'Pass 1: (y * len("\\x1b]0;call\\x07")).backward()  line 14'
    assert any("\\x1b[2JClearBackward" in line for line in lines)  # an op named by the program
    assert len(lines) == 3 + 1 + len(json.loads(cli("run", str(hostile), "--json").stdout)["nodes"])


def test_run_json_keeps_control_characters_as_json_escapes(hostile):
    done = cli("run", str(hostile), "--json")
    assert done.returncode == 0, done.stderr
    assert_no_controls(done.stdout, done.stderr)
    assert "\\u001b]52;c;" in done.stdout
    record = json.loads(done.stdout)
    assert record["prints"][0] == "\x1b]52;c;cHduZWQ=\x07"  # the program's text, intact in the data


def test_an_error_message_shows_its_control_characters_as_escapes(tmp_path):
    path = tmp_path / "fails.py"
    path.write_text('import torch\nprint("\\x1b[2J")\nraise ValueError("\\x1b]0;pwned\\x07\\x1b[2J\\x9b")\n')
    done = cli("run", str(path))
    assert_one_line_error(done, "ValueError: \\x1b]0;pwned\\x07\\x1b[2J\\x9b")
    assert_no_controls(done.stdout, done.stderr)


def test_check_shows_names_with_control_characters_as_escapes(hostile):
    done = cli("check", str(hostile))
    assert done.returncode == 0, done.stderr
    assert_no_controls(done.stdout, done.stderr)
    title, header, *rows, verdict = done.stdout.splitlines()
    assert len(rows) == 3 and verdict == "every leaf agrees"  # a name's line break kept the row whole
    assert any("m.\\x1b]0;layer\\x07\\x0anext.weight" in row for row in rows)
    done = cli("check", str(hostile), "--json")
    assert_no_controls(done.stdout, done.stderr)
    assert {leaf["name"] for leaf in json.loads(done.stdout)["leaves"]} >= {"m.\x1b]0;layer\x07\nnext.weight"}


def test_the_escaped_streams_are_the_hosts_again_after_main(capsys):
    from graphs.cli.commands import main
    from graphs.cli.terminal import terminal_safe

    assert terminal_safe("a\x1b[2J\r\n\tb\x7f\x9b\ud800") == "a\\x1b[2J\\x0d\n\tb\\x7f\\x9b\\ud800"
    assert terminal_safe("a\nb\tc", one_line=True) == "a\\x0ab\\x09c"
    streams = sys.stdout, sys.stderr
    assert main(["run", "no_such_network"]) == 1
    assert (sys.stdout, sys.stderr) == streams
    assert (
        capsys.readouterr().err
        == "error: unknown network 'no_such_network'; `python -m graphs list` shows the catalogue\n"
    )
