"""Fresh Python processes for the tests, started by forking a process that has already imported
the heavy libraries (Django's modules, fpdf, openpyxl, lxml, requests...), never the project.

Each `manage.py` or `python -c` a test starts would otherwise spend ~1.5 s of CPU importing the
same libraries before doing anything. Here one launcher process per test process imports them
once (without settings: nothing of chorusweb, no configured Django) and forks a child for each
command: the child takes the command's environment, working directory, arguments and output
files, then runs the script as `python` would, so its settings are read afresh from its own
environment. `run` stands for `subprocess.run(..., capture_output=True, text=True)` and `start`
for `subprocess.Popen` (pid, poll, wait, send_signal, kill).
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from socket import AF_UNIX, SOCK_STREAM, socketpair

ROOT = Path(__file__).resolve().parents[1]

#: Imported once by the launcher (each must import without Django's settings).
PRELOAD = (
    "django.core.management",
    "django.core.management.base",
    "django.core.management.commands.check",
    "django.core.checks",
    "django.urls",
    "django.http",
    "django.db.models",
    "django.db.backends.sqlite3.base",
    "django.forms",
    "django.template",
    "django.template.defaulttags",
    "django.template.loader_tags",
    "django.views.generic",
    "django.contrib.admin.options",
    "django.utils.translation",
    "django.core.handlers.wsgi",
    "django.contrib.auth.hashers",
    "django.contrib.staticfiles.storage",
    "fpdf",
    "facturx",
    "openpyxl",
    "pypdf",
    "fontTools.varLib",
    "lxml.etree",
    "requests",
    "urllib3",
    "cryptography.fernet",
    "apscheduler.schedulers.background",
    "apscheduler.triggers.cron",
    "redis",
    "PIL.Image",
    "stdnum",
    "sqlparse",
    "whitenoise.storage",
    "asgiref",
    "sqlite3",
    "ssl",
    "email",
    "multiprocessing",
    "asyncio",
    "decimal",
    "zoneinfo",
    "uuid",
    "json",
    "xml.etree.ElementTree",
    "environ",
    "defusedxml",
    "iso4217",
    "tzlocal",
    "django_htmx",
    "django_otp",
    "axes",
    "crontask",
    "django_tasks_db",
)
PROJECT = ("alerts", "bench", "chorusweb", "dashboard", "invoices", "issuers", "sandbox", "tests", "validators")


# --- the test's side -------------------------------------------------------------------------------

_lock = threading.Lock()
_launcher: tuple[subprocess.Popen, Connection] | None = None


def _call(*request):
    global _launcher
    with _lock:
        if _launcher is None or _launcher[0].poll() is not None:
            ours, theirs = socketpair(AF_UNIX, SOCK_STREAM)
            # its children keep the bytecode caches, like the suite (see tests/conftest.py)
            env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTHONDONTWRITEBYTECODE"))}
            process = subprocess.Popen(
                [sys.executable, "-c", f"from tests.launcher import serve; serve({theirs.fileno()})"],
                cwd=ROOT,
                env=env,
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            theirs.close()
            _launcher = (process, Connection(ours.detach()))
            atexit.register(_stop, *_launcher)
        connection = _launcher[1]
        connection.send(request)
        answer = connection.recv()
    if isinstance(answer, BaseException):
        raise answer
    return answer


def _stop(process: subprocess.Popen, connection: Connection) -> None:
    connection.close()  # the launcher kills what is left and exits
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


class Process:
    """What a test uses of `subprocess.Popen`, for a child of the launcher."""

    def __init__(self, pid: int, args: list[str]) -> None:
        self.pid = pid
        self.args = args
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = _call("wait", self.pid, 0.0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self.returncode = _call("wait", self.pid, timeout)
            if self.returncode is None:
                raise subprocess.TimeoutExpired(self.args, timeout)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        import signal

        self.send_signal(signal.SIGKILL)


def start(args: list[str], *, env: dict[str, str], cwd: Path | str = ROOT, output: Path | str) -> Process:
    """Like `subprocess.Popen(args, env=env, cwd=cwd, stdout=<output>, stderr=STDOUT)`: `args` is
    `[sys.executable, script, *arguments]` or `[sys.executable, "-c", code, *arguments]`."""
    pid = _call("spawn", list(args), dict(env), str(cwd), str(output), None)
    return Process(pid, list(args))


def run(args: list[str], *, env: dict[str, str], cwd: Path | str = ROOT, timeout: float = 120):
    """Like `subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)`."""
    with tempfile.TemporaryDirectory(prefix="launcher-") as directory:
        out, err = Path(directory, "stdout"), Path(directory, "stderr")
        pid = _call("spawn", list(args), dict(env), str(cwd), str(out), str(err))
        process = Process(pid, list(args))
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
        return subprocess.CompletedProcess(
            list(args), process.returncode, out.read_text(errors="replace"), err.read_text(errors="replace")
        )


# --- the launcher's side ---------------------------------------------------------------------------


def serve(fd: int) -> None:
    import importlib

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # one that needs settings is left to the child
            continue
    from django.conf import settings

    assert not settings.configured
    assert not [n for n in sys.modules if n.split(".")[0] in PROJECT and n not in ("tests", "tests.launcher")]
    connection = Connection(fd)
    children: set[int] = set()
    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError):
            break
        try:
            if request[0] == "spawn":
                pid = _fork(connection, *request[1:])
                children.add(pid)
                connection.send(pid)
            else:
                _, pid, timeout = request
                code = _wait(pid, timeout)
                if code is not None:
                    children.discard(pid)
                connection.send(code)
        except Exception as error:  # told to the test
            connection.send(error)
    import signal

    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except OSError:
            pass


def _wait(pid: int, timeout: float | None) -> int | None:
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if deadline is not None and time.monotonic() >= deadline:
            return None
        time.sleep(0.01)


def _fork(connection: Connection, args: list[str], env: dict[str, str], cwd: str, out: str, err: str | None) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        connection.close()
        code = _child(args, env, cwd, out, err)
    finally:
        os._exit(code)


def _child(args: list[str], env: dict[str, str], cwd: str, out: str, err: str | None) -> int:
    import atexit as exits
    import io
    import runpy
    import signal
    import traceback
    import types

    for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL if sig != signal.SIGINT else signal.default_int_handler)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    stdout = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(stdout, 1)
    os.dup2(os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644) if err else stdout, 2)
    unbuffered = bool(env.get("PYTHONUNBUFFERED"))
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(io.FileIO(1, "w", closefd=False)), encoding="utf-8", write_through=unbuffered
    )
    sys.stderr = io.TextIOWrapper(
        io.BufferedWriter(io.FileIO(2, "w", closefd=False)),
        encoding="utf-8",
        errors="backslashreplace",
        line_buffering=True,
        write_through=unbuffered,
    )
    code = 0
    try:
        if args[1] == "-c":
            sys.argv = ["-c", *args[3:]]
            sys.path[0] = ""
            main = sys.modules["__main__"] = types.ModuleType("__main__")
            exec(compile(args[2], "<string>", "exec"), main.__dict__)
        else:
            script = os.path.abspath(args[1])
            sys.argv = [args[1], *args[2:]]
            sys.path[0] = os.path.dirname(script)
            runpy.run_path(script, run_name="__main__")
    except SystemExit as exit:
        if exit.code is None:
            code = 0
        elif isinstance(exit.code, int):
            code = exit.code
        else:
            print(exit.code, file=sys.stderr)
            code = 1
    except BaseException:  # reported as python reports an uncaught exception
        traceback.print_exc()
        code = 1
    try:
        threading._shutdown()  # what the interpreter does at exit: join the threads
        exits._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        pass
    return code
