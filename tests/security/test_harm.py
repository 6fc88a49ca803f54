"""Harm suite: real Python attacks in a locked worker, each judged from OUTSIDE.

Every program goes through the real worker path (`sandbox.call(run_python,
...)`: fork, lockdown, JSON channel).  After each one the test checks the
world it tried to hurt, never the refusal itself:

- no file appeared in a world-writable folder, and a world-readable secret
  file kept its bytes and mode;
- the secret file's contents and an environment secret planted in this
  (server) process before the zygote started appear in no output: prints,
  error text, the prints carried with an error;
- no connection reached the TCP and unix listeners this test opened;
- a victim process (running as `nobody`, like the workers) is alive and untraced;
- the zygote is the same process and alive, no worker or monitor is left
  running, and the next harmless program gives the right answer.

Every attack is made twice: through the zygote (the app's server) and
through a worker forked from a CLI-like process of its own
(`tests.forked_runner`: `sandbox.forking`, the CLI's path), whose environment
holds the secret; after each, nothing it forked is left in its session.

Each attack also states a pattern its output must match, which shows it
really ran as far as its attempt (a typo in an attack must not pass as
"no harm").
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest

from graphs import sandbox
from graphs.errors import ProgramError
from graphs.sandbox import SandboxConfig, call
from graphs.worker.jobs import run_python
from tests.forked_runner import Runner
from tests.sessions import in_session

ENV_NAME = "AUTOGRAD_HARM_API_TOKEN"
ENV_SECRET = "env-secret-7f3a9c1e-never-shown"
FILE_SECRET = "file-secret-52b8d04a-never-shown"
NOBODY = 65534
X86_64 = platform.machine() == "x86_64"
CONFIG = SandboxConfig(timeout_s=5, max_result_mb=4)


@dataclass
class World:
    """What the attacks aim at, and the checks that nothing happened to it."""

    folder: Path
    secret: Path
    tcp: socket.socket
    unix: socket.socket
    unix_path: Path
    victim: subprocess.Popen
    zygote: int
    runner: Runner  # the CLI-like process of the forked path

    def fill(self, source: str, server: int | None = None) -> str:
        """Put the targets' real names, paths and pids into an attack's text
        (`server`: the process the worker was forked for, by default this one)."""
        for token, value in {
            "MARKER": str(self.folder / "marker"),
            "SECRET_PATH": str(self.secret),
            "FOLDER": str(self.folder),
            "PORT": str(self.tcp.getsockname()[1]),
            "UNIX_PATH": str(self.unix_path),
            "VICTIM": str(self.victim.pid),
            "ZYGOTE": str(self.zygote),
            "SERVER": str(server or os.getpid()),
            "ENV_NAME": ENV_NAME,
        }.items():
            source = source.replace(token, value)
        return source

    def assert_unharmed(self, output: str) -> None:
        assert sorted(path.name for path in self.folder.iterdir()) == ["secret.txt", "sock"]
        assert self.secret.read_text() == FILE_SECRET and self.secret.stat().st_mode & 0o777 == 0o644
        assert ENV_SECRET not in output and FILE_SECRET not in output
        for listener in (self.tcp, self.unix):
            with pytest.raises(BlockingIOError):
                listener.accept()[0].close()
        assert self.victim.poll() is None, "the victim was killed"
        assert tracer_of(self.victim.pid) == 0, "the victim is being traced"
        assert (
            sandbox.client._zygote.process.pid == self.zygote
            and sandbox.client._zygote.process.poll() is None
        )
        wait_until_no_workers(self.zygote)
        assert call(run_python, "print(6 * 7)", config=CONFIG) == ["42"]


def tracer_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("TracerPid:")[1].split()[0])


def _status_or_nothing(pid: int) -> str:
    """/proc/<pid>/status, or "" when the process ended since it was listed
    (the previous test's monitor and worker may still be exiting)."""
    try:
        return Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return ""


def sandbox_processes(owner: int) -> list[int]:
    """Pids of the zygote, monitors and workers a server process started."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:  # it ended while we looked
            continue
        if (
            b"graphs.sandbox.zygote" in argv
            and b"--owner" in argv
            and argv[argv.index(b"--owner") + 1] == str(owner).encode()
        ):
            found.append(int(entry.name))
    return found


def wait_until_no_workers(zygote: int, within_s: float = 20.0) -> None:
    """Monitors and workers end right after a call; allow a busy machine time to reap them."""
    deadline = time.monotonic() + within_s
    while (
        left := [pid for pid in sandbox_processes(os.getpid()) if pid != zygote]
    ) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left, f"sandbox processes still running: {left}"


@pytest.fixture(scope="module")
def world():
    """Plant the secrets, open the listeners, start the victim, then a fresh zygote."""
    folder = Path(tempfile.mkdtemp(prefix="harm-"))
    folder.chmod(0o777)  # only the sandbox, not permissions, may stop a write here
    secret = folder / "secret.txt"
    secret.write_text(FILE_SECRET)
    secret.chmod(0o644)  # readable by nobody: only the sandbox stops a read
    tcp = socket.create_server(("127.0.0.1", 0))
    tcp.setblocking(False)
    unix_path = folder / "sock"
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix.bind(str(unix_path))
    unix.listen(8)
    unix.setblocking(False)
    unix_path.chmod(0o777)
    as_nobody = {"user": NOBODY, "group": NOBODY} if os.geteuid() == 0 else {}
    victim = subprocess.Popen(["sleep", "3600"], **as_nobody)
    sandbox.stop()
    os.environ[ENV_NAME] = ENV_SECRET  # in the server's environment before the zygote starts
    runner = Runner()  # after the secret is planted: it is in the runner's environment
    try:
        assert sandbox.start().locked
        zygote = sandbox.client._zygote.process.pid
        yield World(folder, secret, tcp, unix, unix_path, victim, zygote, runner)
    finally:
        del os.environ[ENV_NAME]
        runner.close()
        sandbox.stop()
        victim.kill()
        victim.wait()
        tcp.close()
        unix.close()
        shutil.rmtree(folder)


@dataclass(frozen=True)
class Attack:
    name: str
    source: str
    ran: str  # a pattern the output matches once the attempt was made


def attempt(name: str, body: str, ran: str = "refused") -> Attack:
    """An attack whose body is one expression-statement block, reported as `refused` or what it got."""
    indented = "\n".join("    " + line for line in body.strip().splitlines())
    source = (
        f"try:\n{indented}\n    print('done', result)\n"
        "except (OSError, RuntimeError, ValueError) as exc:\n    print('refused', type(exc).__name__, exc)\n"
    )
    return Attack(name, "import os, sys, socket, signal\nresult = None\n" + source, ran)


# A raw system call through libc, bypassing Python's own functions.
RAW = """\
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def raw(number, *args):
    result = libc.syscall(number, *[ctypes.c_long(a) if isinstance(a, int) else a for a in args])
    errno = ctypes.get_errno()
    print("refused" if result == -1 and errno == 1 else f"returned {result} {errno}")
"""


def raw(name: str, call_text: str, ran: str = "refused") -> Attack:
    return Attack(name, RAW + call_text + "\n", ran)


# Machine code run from a page the program maps itself: the filter sees the
# system call whatever instruction made it.
MACHINE = """\
import ctypes, struct
libc = ctypes.CDLL(None)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                      ctypes.c_long]
page = libc.mmap(None, 4096, 3, 0x22, -1, 0)          # read/write, private, anonymous
ctypes.memmove(page, CODE, len(CODE))
print("mprotect", libc.mprotect(ctypes.c_void_p(page), 4096, 5))   # read/execute
print("returned", ctypes.CFUNCTYPE(ctypes.c_long)(page)())
"""


def machine(name: str, code: str, ran: str) -> Attack:
    return Attack(name, f"import struct\nCODE = {code}\n" + MACHINE, ran)


# Bytes that, if anyone unpickled them, would create the marker file.
FORGED_PICKLE = """\
import os, pickle
class Forged:
    def __reduce__(self):
        return (os.system, ('touch MARKER',))
payload = pickle.dumps(Forged())
"""

KILL_VICTIM_SYSCALL = (
    "b'\\x48\\xc7\\xc0\\x3e\\x00\\x00\\x00' + b'\\x48\\xc7\\xc7' + struct.pack('<i', VICTIM)"
    " + b'\\x48\\xc7\\xc6\\x09\\x00\\x00\\x00\\x0f\\x05\\xc3'"
)
KILL_VICTIM_INT80 = (
    "b'\\xb8\\x25\\x00\\x00\\x00\\xbb' + struct.pack('<i', VICTIM)"
    " + b'\\xb9\\x09\\x00\\x00\\x00\\xcd\\x80\\xc3'"
)

ATTACKS = [
    # files: write, create, change, read
    attempt("write_file", "result = open('MARKER', 'w').write('x')"),
    attempt("os_open_create", "result = os.open('MARKER', os.O_CREAT | os.O_WRONLY, 0o666)"),
    attempt("pathlib_write", "import pathlib\nresult = pathlib.Path('MARKER').write_text('x')"),
    attempt("mkdir", "result = os.mkdir('MARKER')"),
    attempt("symlink", "result = os.symlink('SECRET_PATH', 'MARKER')"),
    attempt("hard_link", "result = os.link('SECRET_PATH', 'MARKER')"),
    attempt("rename_secret", "result = os.rename('SECRET_PATH', 'MARKER')"),
    attempt("chmod_secret", "result = os.chmod('SECRET_PATH', 0o777)"),
    attempt("truncate_secret", "result = os.truncate('SECRET_PATH', 0)"),
    attempt("unlink_secret", "result = os.unlink('SECRET_PATH')"),
    attempt("read_secret", "result = open('SECRET_PATH').read()"),
    attempt("listdir", "result = os.listdir('FOLDER')"),
    attempt("torch_save", "import torch\nresult = torch.save(torch.ones(2), 'MARKER')"),
    attempt("torch_load", "import torch\nresult = torch.load('SECRET_PATH')"),
    attempt("numpy_save", "import numpy\nresult = numpy.save('MARKER', [1])"),
    attempt(
        "numpy_fromfile", "import numpy\nresult = numpy.fromfile('SECRET_PATH', dtype='uint8').tobytes()"
    ),
    attempt(
        "torch_from_file", "import torch\nresult = torch.from_file('SECRET_PATH', size=8, dtype=torch.uint8)"
    ),
    attempt("mmap_file", "import mmap\nresult = mmap.mmap(os.open('SECRET_PATH', os.O_RDONLY), 0)[:]"),
    attempt("mmap_stdin", "import mmap\nresult = mmap.mmap(0, 4096)[:]"),
    attempt("sendfile", "result = os.sendfile(3, os.open('SECRET_PATH', os.O_RDONLY), 0, 100)"),
    attempt("sendfile_from_null", "result = os.sendfile(3, 0, 0, 100)"),
    attempt("memfd", "result = os.memfd_create('x')"),
    # secrets: environment and memory, ours and other processes'
    Attack("environ", f"import os\nprint(dict(os.environ))\nprint(os.environ.get('{ENV_NAME}'))", "PATH"),
    attempt("proc_self_environ", "result = open('/proc/self/environ', 'rb').read()"),
    attempt("proc_zygote_environ", "result = open('/proc/ZYGOTE/environ', 'rb').read()"),
    attempt("proc_server_environ", "result = open('/proc/SERVER/environ', 'rb').read()"),
    attempt("proc_init_environ", "result = open('/proc/1/environ', 'rb').read()"),
    attempt("proc_server_cmdline", "result = open('/proc/SERVER/cmdline', 'rb').read()"),
    attempt("proc_zygote_mem", "f = open('/proc/ZYGOTE/mem', 'rb')\nf.seek(0x400000)\nresult = f.read(64)"),
    attempt("proc_self_mem", "result = open('/proc/self/mem', 'rb').read(64)"),
    attempt(
        "proc_walk",
        "result = [open(f'/proc/{p}/environ').read() for p in os.listdir('/proc') if p.isdigit()]",
    ),
    Attack(
        "environ_strings_in_memory",
        """\
import ctypes
environ = ctypes.POINTER(ctypes.c_char_p).in_dll(ctypes.CDLL(None), "environ")
i = 0
while environ[i]:
    print(environ[i]); i += 1
print("walked", i)
""",
        "walked",
    ),
    Attack(
        "heap_objects",
        """\
import gc
found = [o for o in gc.get_objects() if isinstance(o, dict) for v in o.values()
         if isinstance(v, str) and "never-shown" in v]
print("scanned", len(found), found[:3])
""",
        "scanned",
    ),
    # the network: TCP, UDP and unix sockets to listeners on this machine
    attempt("tcp_connect", "result = socket.create_connection(('127.0.0.1', PORT), timeout=2)"),
    attempt(
        "udp_send",
        "result = socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('127.0.0.1', PORT))",
    ),
    attempt("unix_connect", "s = socket.socket(socket.AF_UNIX)\nresult = s.connect('UNIX_PATH')"),
    attempt("socketpair", "result = socket.socketpair()"),
    attempt(
        "urllib",
        "import urllib.request\nresult = urllib.request.urlopen('http://127.0.0.1:PORT/', timeout=2)",
    ),
    attempt("fromfd_3", "result = socket.socket(fileno=3).getpeername()"),
    raw("raw_socket", "raw(41, 2, 1, 0)"),
    # processes
    attempt("os_system", "result = os.system('touch MARKER')", ran="done"),
    attempt("subprocess_run", "import subprocess\nresult = subprocess.run(['touch', 'MARKER'])"),
    attempt("popen", "result = os.popen('touch MARKER').read()"),
    attempt("execv", "result = os.execv('/usr/bin/touch', ['touch', 'MARKER'])"),
    attempt("posix_spawn", "result = os.posix_spawn('/usr/bin/touch', ['touch', 'MARKER'], {})"),
    attempt("fork", "pid = os.fork()\nif pid == 0:\n    open('MARKER', 'w')\n    os._exit(0)\nresult = pid"),
    attempt("fork_bomb", "while True:\n    os.fork()"),
    Attack(
        "thread_bomb",
        """\
import threading
started = 0
try:
    while started < 1000:
        threading.Thread(target=lambda: open('MARKER', 'w')).start(); started += 1
except RuntimeError as exc:
    print("refused", started, exc)
""",
        "refused 0",
    ),
    raw("raw_fork", "pid = raw(57)"),
    raw("raw_clone", "raw(56, 17, 0, 0, 0, 0)"),
    raw("raw_execve", "raw(59, b'/usr/bin/touch', (ctypes.c_char_p * 3)(b'touch', b'MARKER', None), None)"),
    # signals
    attempt("kill_everyone", "result = os.kill(-1, signal.SIGKILL)"),
    attempt("kill_victim", "result = os.kill(VICTIM, signal.SIGKILL)"),
    attempt("kill_zygote", "result = os.kill(ZYGOTE, signal.SIGKILL)"),
    attempt("kill_server", "result = os.kill(SERVER, signal.SIGKILL)"),
    attempt("kill_parent", "result = os.kill(os.getppid(), signal.SIGKILL)"),
    attempt("killpg", "result = os.killpg(0, signal.SIGKILL)"),
    attempt("stop_self", "result = os.kill(os.getpid(), signal.SIGSTOP)"),
    attempt("raise_stop", "result = signal.raise_signal(signal.SIGSTOP)"),
    raw("raw_tgkill", "raw(234, VICTIM, VICTIM, 9)"),
    raw("pidfd_signal", "raw(434, VICTIM, 0)\nraw(424, 3, 9, 0, 0)"),
    # privileges and limits
    attempt("raise_rlimits", "import resource\nresult = resource.setrlimit(resource.RLIMIT_AS, (-1, -1))"),
    attempt("setuid_root", "result = os.setuid(0)"),
    raw("raw_setresuid", "raw(117, 0, 0, 0)"),
    raw("prctl_dumpable", "raw(157, 4, 1, 0, 0, 0)"),
    raw("seccomp_again", "raw(317, 1, 0, 0)"),
    raw(
        "madvise_hwpoison",
        "import mmap\nm = mmap.mmap(-1, 4096)\n"
        "addr = ctypes.addressof(ctypes.c_char.from_buffer(m))\nraw(28, addr, 4096, 100)",
        ran="refused|returned -1 22",
    ),  # EINVAL where the kernel has no memory-failure support
    # tracing and reading another process
    raw("ptrace_victim", "raw(101, 16, VICTIM, 0, 0)"),
    raw("ptrace_zygote", "raw(101, 16, ZYGOTE, 0, 0)"),
    raw(
        "process_vm_readv",
        """\
buf = ctypes.create_string_buffer(64)
local = (ctypes.c_void_p * 2)(ctypes.cast(buf, ctypes.c_void_p), 64)
remote = (ctypes.c_void_p * 2)(0x400000, 64)
raw(310, ZYGOTE, local, 1, remote, 1, 0)""",
    ),
    attempt("proc_victim_mem", "result = open('/proc/VICTIM/mem', 'rb').read(8)"),
    # the kernel's bigger surfaces
    raw("unshare_user", "raw(272, 0x10000000 | 0x40000000)"),
    raw("mount", "raw(165, b'none', b'FOLDER', b'tmpfs', 0, None)"),
    raw("bpf", "raw(321, 0, 0, 0)"),
    raw("io_uring_setup", "raw(425, 8, ctypes.create_string_buffer(120))"),
    raw("perf_event_open", "raw(298, ctypes.create_string_buffer(128), 0, -1, -1, 0)"),
    raw("userfaultfd", "raw(323, 0)"),
    raw("keyctl", "raw(250, 0, 0, 0, 0)"),
    raw("raw_openat", "raw(257, -100, b'MARKER', 0o101, 0o666)"),
    raw("open_by_handle_at", "raw(304, 0, ctypes.create_string_buffer(64), 0)"),
    # other system call numberings: the filter kills the process
    Attack("x32_kill", RAW + "raw(0x40000000 | 62, VICTIM, 9)\n", "forbids"),
    *(
        [
            machine("machine_code_syscall", KILL_VICTIM_SYSCALL, "returned -1"),
            machine("machine_code_int80", KILL_VICTIM_INT80, "forbids"),
        ]
        if X86_64
        else []
    ),
    # resources
    Attack(
        "recursion_bomb",
        "import sys\nsys.setrecursionlimit(10**8)\ndef f(n):\n    return f(n + 1)\nf(0)",
        "stopped",
    ),
    Attack(
        "memory_bomb", "blocks = []\nwhile True:\n    blocks.append(bytearray(50 * 1024 * 1024))", "memory"
    ),
    Attack("cpu_spin", "while True:\n    pass", "ran longer"),
    Attack("print_flood", "for i in range(10**4):\n    print('x' * 999)", "output cut"),
    Attack(
        "stdout_flood",
        "import sys\nsys.stdout.write('x' * 10**8)\nprint(len(sys.stdout.getvalue()))",
        "1000000",
    ),
    # exceptions that fight the error path
    Attack(
        "str_never_returns",
        "class E(Exception):\n    def __str__(self):\n        while True:\n            pass\nraise E()",
        "ran longer",
    ),
    Attack(
        "str_raises",
        "class E(Exception):\n    def __str__(self):\n        raise RuntimeError('nope')\nraise E()",
        "line",
    ),
    Attack(
        "reduce_trick",
        "import os\nclass E(Exception):\n    def __reduce__(self):\n"
        "        return (os.system, ('touch MARKER',))\nraise E('caught')",
        "caught",
    ),
    Attack(
        "error_with_newlines", "raise ValueError('one\\nTraceback (most recent call last):\\n  two')", "one"
    ),
    # monkeypatching what the worker itself uses after the program
    Attack(
        "patch_builtins",
        "import builtins\nbuiltins.open = builtins.print = lambda *a, **k: None\n"
        "builtins.__import__ = None\nprint('patched')",
        "",
    ),
    Attack(
        "patch_json_dumps",
        FORGED_PICKLE + "import json\n"
        "json.dumps = lambda *a, **k: payload.decode('latin-1')\nprint('patched')",
        "could not be read",
    ),
    Attack("patch_os_exit", "import os\nos._exit = lambda code: None\nprint('patched')", "patched"),
    Attack(
        "sys_modules",
        "import sys\nfor name in list(sys.modules):\n    if name.startswith(('json', 'graphs')):\n"
        "        sys.modules[name] = None\nprint('tampered')",
        "tampered",
    ),
    # the descriptors the worker holds
    attempt("close_fd3", "result = os.close(3)"),
    attempt("dup_fd3", "result = os.dup2(0, 3)"),
    attempt("write_stdout_fd", "result = os.write(1, b'FILE_SECRET')"),
    attempt("write_stderr_fd", "result = os.write(2, b'x')"),
    Attack("forged_pickle_on_fd3", FORGED_PICKLE + "os.write(3, payload)\nos._exit(0)", "could not be read"),
    Attack(
        "pickle_on_every_fd",
        FORGED_PICKLE + "for fd in range(1024):\n    try:\n        os.write(fd, payload)\n"
        "    except OSError:\n        pass\nprint('sent')",
        "could not be read",
    ),
    Attack(
        "forged_frame_on_fd3",
        "import os, struct, json\n"
        "header = json.dumps({'status': 0, 'timed_out': False, 'oversized': False}).encode()\n"
        "os.write(3, struct.pack('!Q', len(header)) + header)\nos._exit(0)",
        "could not be read",
    ),
    Attack(
        "huge_result",
        "import os\nchunk = b' ' * (1 << 20)\nwhile True:\n    os.write(3, chunk)",
        "larger than 4 MB",
    ),
    Attack(
        "deep_result",
        "import os\nos.write(3, b'{\"ok\": ' + b'[' * 100000 + b']' * 100000 + b'}')\nos._exit(0)",
        "nested more than",
    ),
    Attack(
        "unterminated_strings",
        "import os\nos.write(3, b'\"' + b'\\\\\"' * 2000000)\nos._exit(0)",
        "not valid JSON",
    ),
    Attack(
        "mistyped_error",
        'import os\nos.write(3, b\'{"error": {"kind": "program", "message": 5}}\')\nos._exit(0)',
        "wrong shape",
    ),
    Attack(
        "unknown_kind",
        'import os\nos.write(3, b\'{"error": {"kind": "root"}, "ok": 1}\')\nos._exit(0)',
        "not a result or an error",
    ),
    Attack("exit_silently", "import os\nos._exit(0)", "stopped unexpectedly"),
]


def outcome(source: str) -> str:
    """Everything the caller gets back: prints, or the error and the prints carried with it."""
    try:
        return "\n".join(call(run_python, source, config=CONFIG))
    except ProgramError as error:
        assert "\n" not in str(error) and "Traceback" not in str(error)
        return "\n".join([str(error), *getattr(error, "prints", [])])


def test_the_suite_has_at_least_sixty_attacks():
    assert len(ATTACKS) >= 60
    assert len({attack.name for attack in ATTACKS}) == len(ATTACKS)


def forked_outcome(world: World, source: str) -> str:
    """`outcome` through the forked path: the runner's answer, every process it forked already reaped."""
    answer = world.runner.run(source, asdict(CONFIG))
    assert answer["forked"] and answer["one_line"], answer
    assert in_session(world.runner.pid) == [world.runner.pid]
    return answer["output"]


@pytest.mark.parametrize("path", ["zygote", "forked"])
@pytest.mark.parametrize("attack", ATTACKS, ids=[attack.name for attack in ATTACKS])
def test_attack_does_no_harm(attack, path, world):
    if path == "zygote":
        output = outcome(world.fill(attack.source))
    else:
        output = forked_outcome(world, world.fill(attack.source, server=world.runner.pid))
    assert re.search(attack.ran, output), output[:500]
    world.assert_unharmed(output)


def test_a_worker_runs_as_nobody_locked_in_with_only_its_four_descriptors(world):
    """Read from outside, while a program sleeps: uid, seccomp mode, no_new_privs, limits, fds."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(
            call, run_python, "import time\ntime.sleep(60)", config=SandboxConfig(timeout_s=120)
        )
        deadline, workers = time.monotonic() + 20, []
        while not workers and time.monotonic() < deadline:
            workers = [
                pid
                for pid in sandbox_processes(os.getpid())
                if pid != world.zygote and "Seccomp:\t2" in _status_or_nothing(pid)
            ]
            time.sleep(0.05)
        assert workers, "no locked worker found"
        status = Path(f"/proc/{workers[0]}/status").read_text()
        limits = Path(f"/proc/{workers[0]}/limits").read_text()
        # A non-dumpable process's descriptors are listable only by root.
        fds = sorted(int(fd) for fd in os.listdir(f"/proc/{workers[0]}/fd")) if os.geteuid() == 0 else None
        os.kill(workers[0], signal.SIGKILL)
        with pytest.raises(sandbox.SandboxError):
            running.result()
    assert "NoNewPrivs:\t1" in status
    if os.geteuid() == 0:
        assert f"Uid:\t{NOBODY}\t{NOBODY}\t{NOBODY}\t{NOBODY}" in status
    assert fds in ([0, 1, 2, 3], None)
    for name, value in [
        ("Max file size", "0"),
        ("Max processes", "0"),
        ("Max open files", "4"),
        ("Max core file size", "0"),
        ("Max cpu time", "10"),
    ]:
        assert any(line.startswith(name) and line.split()[-3] == value for line in limits.splitlines()), name


def test_a_worker_nobody_waits_for_is_killed_at_once(world):
    """The caller hangs up (Streamlit stopped the run): the monitor kills the
    worker long before the program's own deadline."""
    from graphs.sandbox.client import make_request

    config = SandboxConfig(timeout_s=120)
    with sandbox.client._lock:
        connection = sandbox.client._zygote.connect()
    request = make_request(run_python, ["import time\ntime.sleep(600)"], config, filtered=True)
    from graphs.sandbox import channel

    channel.send_frame(connection, channel.dumps(request))
    assert channel.recv_frame(connection, 16) == channel.STARTED
    deadline = time.monotonic() + 20
    while len(sandbox_processes(os.getpid())) < 3 and time.monotonic() < deadline:  # zygote, monitor, worker
        time.sleep(0.05)
    assert len(sandbox_processes(os.getpid())) == 3
    connection.close()
    wait_until_no_workers(world.zygote, within_s=20)


def test_the_zygote_is_single_threaded_and_has_no_secret_in_its_environment(world):
    status = Path(f"/proc/{world.zygote}/status").read_text()
    assert "Threads:\t1\n" in status  # forking a threaded process could copy a held lock
    assert ENV_SECRET.encode() not in Path(f"/proc/{world.zygote}/environ").read_bytes()


def test_a_killed_zygote_is_replaced_on_the_next_call():
    sandbox.start()
    old = sandbox.client._zygote.process
    old.kill()
    old.wait()
    assert call(run_python, "print('again')", config=CONFIG) == ["again"]
    assert sandbox.client._zygote.process.pid != old.pid
