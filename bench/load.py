"""The list under load: gunicorn (3 workers) on 127.0.0.1, a few users, bounded in time and count.

Each simulated user is a thread that requests the list again as soon as it has its answer (no
think time), with its own signed-in session. Run idle, then while full syncs of the sandbox run
in their own process (`manage.py sync_chorus`, writing the same database) as the schedule runs
them. Every answer is checked (status 200 and the
rows of a page), so a fast error page never counts as throughput.

Each row also says how much processor an answer cost the web server's processes and, on
PostgreSQL, the database's (read from /proc on Linux; during a sync, the database's share
includes the sync's writes): this machine's speed moves by up to half from one hour to the
next, and these costs tell a slower machine from slower code.
"""

from __future__ import annotations

import http.client
import os
import statistics
import sys
import threading
import time
from pathlib import Path

from bench.__main__ import ROOT, Row, Server, _free_port

#: The pages requested in turn by every user: the default tab (full page) and htmx partials.
PATHS = (
    ("/factures/", {}),
    ("/factures/?onglet=toutes", {"HX-Request": "true", "HX-Target": "results-table"}),
    ("/factures/?onglet=payees&page=fin", {"HX-Request": "true", "HX-Target": "results-table"}),
)
MAX_REQUESTS = 20_000  # per scenario, whatever the duration


def _session_cookie(username: str) -> str:
    from bench import data

    return data.signed_in_client(username).cookies["sessionid"].value


def _gunicorn(workers: int) -> Server:
    port = _free_port()
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "chorusweb.wsgi:application",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        str(ROOT),
        "--log-level",
        "warning",
    ]
    return Server(argv, port)


def _processor_seconds(match) -> float | None:
    """Processor time (user + system) of the running processes for which `match(pid, parent,
    command)` holds (None without /proc)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    total = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if match(int(entry.name), int(fields[1]), command):
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _costs(server_pid: int) -> dict[str, float | None]:
    """The processor spent so far by gunicorn (its master `server_pid` and workers) and, on
    PostgreSQL, by the database's processes."""
    from django.db import connection

    return {
        "web": _processor_seconds(lambda pid, parent, _: server_pid in (pid, parent)),
        "database": _processor_seconds(lambda pid, parent, command: command.startswith("postgres"))
        if connection.vendor == "postgresql"
        else None,
    }


def _run(port: int, cookie: str, users: int, seconds: float, server_pid: int) -> dict:
    before = _costs(server_pid)
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    issued = [0]

    def user(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        n = index
        while time.perf_counter() < deadline:
            with lock:
                if issued[0] >= MAX_REQUESTS:
                    return
                issued[0] += 1
            path, headers = PATHS[n % len(PATHS)]
            n += 1
            start = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Cookie": f"sessionid={cookie}", **headers})
                response = conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    errors.append(type(exc).__name__)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            elapsed = (time.perf_counter() - start) * 1000
            ok = response.status == 200 and b'name="ids"' in body
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    errors.append(str(response.status))
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()

    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(users)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    wall = time.perf_counter() - began
    after = _costs(server_pid)
    latencies.sort()
    answered = len(latencies) + len(errors)
    per_answer = {
        name: (after[name] - before[name]) * 1000 / answered
        for name in before
        if answered and before[name] is not None and after[name] is not None
    }
    return {
        "per_answer": per_answer,
        "rps": len(latencies) / wall,
        "p50": statistics.median(latencies) if latencies else 0.0,
        "p95": latencies[int(len(latencies) * 0.95) - 1] if latencies else 0.0,
        "ok": len(latencies),
        "errors": len(errors),
    }


def bench_load(*, seconds: float, users: int, sync_url: str | None = None, workers: int = 3) -> list[Row]:
    """The list under load, idle and (with `sync_url`, the sandbox) while a sync runs."""
    from bench import data

    cookie = _session_cookie(data.USER)
    server = _gunicorn(workers)
    rows: list[Row] = []
    try:
        port = int(server.url.rsplit(":", 1)[1])
        _run(port, cookie, users, 2, server.process.pid)  # warm the workers (connections, templates)
        idle = _run(port, cookie, users, seconds, server.process.pid)
        rows.append(_row(f"List under load, idle ({workers} workers, {users} users)", idle))
        if sync_url:
            stop = threading.Event()
            syncs = _sync_in_background(sync_url, stop)
            try:
                busy = _run(port, cookie, users, seconds, server.process.pid)
            finally:
                stop.set()
                syncs.join(600)
            drop = (1 - busy["rps"] / idle["rps"]) * 100 if idle["rps"] else 0
            rows.append(_row("List under load, during a sync", busy, f"{drop:.0f} % below idle"))
    finally:
        server.shutdown()
    return rows


def _row(name: str, result: dict, extra: str = "") -> Row:
    note = (
        f"p50 {result['p50']:.0f} ms, p95 {result['p95']:.0f} ms, {result['ok']:,} answers, {result['errors']} errors"
    )
    costs = {"web": "web server", "database": "PostgreSQL"}
    spent = [f"{costs[k]} {v:.1f} ms" for k, v in result["per_answer"].items()]
    if spent:
        note += ", processor per answer: " + " + ".join(spent)
    return (name, f"{result['rps']:.0f} req/s", f"{note}{', ' + extra if extra else ''}")


def _sync_in_background(sync_url: str, stop: threading.Event) -> threading.Thread:
    """Full syncs of the sandbox one after another (every row written) until `stop`, each in its
    own process as the schedule runs them (`manage.py sync_chorus`, which yields the processor
    to pages like a worker: CHORUSWEB_WORKER_NICENESS)."""
    import subprocess

    from chorusweb.demo import DEMO_CLIENT_UID, DEMO_FACTPULSE_EMAIL, DEMO_FACTPULSE_PASSWORD
    from chorusweb.models import Connection

    def loop() -> None:
        round_ = 0
        while not stop.is_set():
            round_ += 1
            name = f"Bench load sync {round_} {time.time_ns()}"
            Connection.objects.create(
                name=name,
                api_base_url=f"{sync_url}/sandbox",
                account_email=DEMO_FACTPULSE_EMAIL,
                password=DEMO_FACTPULSE_PASSWORD,
                client_uid=DEMO_CLIENT_UID,
            )
            argv = [sys.executable, str(ROOT / "manage.py"), "sync_chorus", "--connection", name, "--full"]
            process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while process.poll() is None:
                if stop.wait(0.2):
                    process.terminate()
                    process.wait(30)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread
