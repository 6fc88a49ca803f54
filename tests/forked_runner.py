"""A process like the CLI's own, whose calls take the forked path: `python -m tests.forked_runner`.

The CLI forks its locked workers from its own process (`sandbox.forking`),
which must run one thread (numpy's pool started with one, as the CLI's
environment says) and holds no secret but its environment. The test
process is neither: it holds the secrets it plants, as constants, and numpy
started a thread pool in it. So tests of the forked path send their programs
to this process, started by `Runner` with the CLI's environment.

One request per line on stdin, `{"source", "config", "vetted"}`; one answer
per line on stdout: `output` (prints, or the error and the prints carried
with it), `one_line` (the error was one line without a traceback), `error`,
`forked` (the call was served by this process, not a fork server) and
`warm` (how many warm-up steps it ran before it ran again).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# What the CLI sets before numpy is imported (`graphs.cli.process.one_thread_pools`).
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


class Runner:
    """The runner process, in a session of its own (so what it forks stays findable)."""

    def __init__(self, environment: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.forked_runner"],
            cwd=ROOT,
            env={**os.environ, **ONE_THREAD, **(environment or {})},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def run(self, source: str, config: dict[str, Any], vetted: bool = False) -> dict[str, Any]:
        request = {"source": source, "config": config, "vetted": vetted}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


def serve() -> None:
    from graphs import sandbox
    from graphs.errors import ProgramError
    from graphs.sandbox import SandboxConfig
    from graphs.worker import jobs

    for line in sys.stdin:
        request = json.loads(line)
        config = SandboxConfig(**request["config"])
        with sandbox.forking(jobs.__name__) as here:
            answer: dict[str, Any] = {"error": False, "one_line": True}
            try:
                source, vetted = request["source"], request["vetted"]
                prints = sandbox.call(jobs.run_python, source, config=config, vetted=vetted)
                answer["output"] = "\n".join(prints)
            except ProgramError as error:
                text = str(error)
                answer.update(error=True, one_line="\n" not in text and "Traceback" not in text)
                answer["output"] = "\n".join([text, *getattr(error, "prints", [])])
            answer.update(forked=bool(here.monitors), warm=here.warm_steps)
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    serve()
