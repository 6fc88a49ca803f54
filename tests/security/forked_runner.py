"""A process like the CLI's own, for the harm suite's forked path: `python -m tests.security.forked_runner`.

The CLI forks its locked workers from its own process (`sandbox.forking`),
so a worker starts with a copy of everything that process holds. The harm
suite's own process holds the secrets it plants (as constants, in its
modules), which no CLI holds, so the attacks take this path from a process
of their own, as a user's CLI would: the secrets only in its environment.

One request per line on stdin, `{"source": ..., "config": {...}}`; one answer
per line on stdout, `{"output": ..., "one_line": ...}`: what the caller got
back (prints, or the error and the prints carried with it), and whether the
error was one line without a traceback.
"""

from __future__ import annotations

import json
import sys

from graphs import sandbox
from graphs.errors import ProgramError
from graphs.sandbox import SandboxConfig
from graphs.worker import jobs


def outcome(source: str, config: SandboxConfig) -> dict:
    with sandbox.forking(jobs.__name__):
        try:
            prints = sandbox.call(jobs.run_python, source, config=config)
            return {"output": "\n".join(prints), "one_line": True}
        except ProgramError as error:
            text = str(error)
            one_line = "\n" not in text and "Traceback" not in text
            return {"output": "\n".join([text, *getattr(error, "prints", [])]), "one_line": one_line}


def main() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        answer = outcome(request["source"], SandboxConfig(**request["config"]))
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
