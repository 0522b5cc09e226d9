"""Intake throughput (issue 16: ≥ 60 accepted dossiers/s on 2 cores, PostgreSQL): the app under
gunicorn with 2 sync workers, and a load generator of a few threads posting intakes as the
counter's form does, for a fixed time after a warm-up.

Measured: dossiers accepted per second, and CPU seconds per accepted dossier of the gunicorn
workers, of the database's server processes (PostgreSQL backends, when on this machine) and of
the load generator itself (all of them share the cores). On a shared machine the rate follows
the load; the CPU per dossier does not, and 2 cores ÷ (workers' + database's CPU per dossier) is
the rate an idle 2-core machine would reach.

    .venv/bin/python bench/load.py DATABASE_URL [seconds]"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script (`python bench/load.py`): the app's modules
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from bench.build import bench_app  # noqa: E402

WORKERS = 2
CLIENTS = 4  # two requests waiting per worker: a worker never waits for the generator
WARM_INTAKES = 5 * CLIENTS
TICK = os.sysconf("SC_CLK_TCK")
# The name on the dossiers the load adds (bench/run.py finds the seeded data's end without them).
APPLICANT = "Nguyễn Văn Tải"


def served_app():
    """The app gunicorn serves: the bench's settings over BENCH_SERVE_URL."""
    return bench_app(os.environ["BENCH_SERVE_URL"])


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process so far; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Client:
    """One counter clerk: logged in once, then posting intakes. The session cookie of each
    intake's answer carries its flashed message ("Dossier … accepted"), which a browser shows
    on the page it is redirected to, and drops: the clerk keeps the cookie of the login, so
    that the session does not pile up one message per dossier, read and signed again by every
    request (the load never follows the redirects)."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = ""

    def request(self, method: str, path: str, form: dict | None = None, keep_cookies=True):
        """The response's status; its cookies kept unless told (keep_cookies=False)."""
        body = urllib.parse.urlencode(form) if form is not None else None
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        response.read()
        cookies = [
            value.split(";", 1)[0]
            for name, value in response.getheaders()
            if name.lower() == "set-cookie"
        ]
        if cookies and keep_cookies:
            jar = dict(c.split("=", 1) for c in self.cookie.split("; ") if "=" in c)
            jar.update(c.split("=", 1) for c in cookies)
            self.cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
        return response.status


def _procedure(url: str) -> int:
    url = "postgresql+psycopg://" + url[13:] if url.startswith("postgresql://") else url
    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT id FROM procedure WHERE active ORDER BY id LIMIT 1")
        ).scalar()
    engine.dispose()
    return found


def _pg_backends(url: str) -> list[int]:
    """The PostgreSQL server processes serving this database's other connections (the
    workers'), when the server runs on this machine."""
    if not url.startswith("postgresql"):
        return []
    engine = create_engine(url)
    with engine.connect() as conn:
        pids = conn.execute(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid()"
            )
        ).scalars()
        pids = [p for p in pids if Path(f"/proc/{p}").exists()]
    engine.dispose()
    return pids


def throughput(url: str, seconds: float = 20.0, warmup: float = 4.0) -> dict:
    """Intakes accepted per second by gunicorn (2 workers) over `url` under CLIENTS clients."""
    port = _free_port()
    env = {**os.environ, "BENCH_SERVE_URL": url, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryFile() as log:  # gunicorn's own log, shown if it fails
        server = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "-w",
                str(WORKERS),
                "-b",
                f"127.0.0.1:{port}",
                "--timeout",
                "120",
                "bench.load:served_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
        )
        try:
            return _drive(url, server.pid, port, seconds, warmup)
        except Exception:
            log.seek(0)
            print(log.read().decode(errors="replace")[-3000:], file=sys.stderr)
            raise
        finally:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _drive(url: str, master: int, port: int, seconds: float, warmup: float) -> dict:
    _wait_for_server(port)
    clerks = _Clerks(port, _procedure(url))
    clerks.start()
    clerks.warm_up(warmup)
    workers = _children(master)
    backends = _pg_backends(url)
    procs = workers + backends
    before = {p: _cpu(p) for p in procs}
    own = time.process_time()
    clerks.counted.set()
    t0 = time.perf_counter()
    time.sleep(seconds)
    clerks.counted.clear()
    elapsed = time.perf_counter() - t0
    used = {p: _cpu(p) - before[p] for p in procs}
    own = time.process_time() - own
    n = clerks.accepted
    clerks.finish()
    worker_cpu = sum(used[p] for p in workers)
    db_cpu = sum(used[p] for p in backends)
    per = (worker_cpu + db_cpu) / n if n else float("nan")
    return {
        "accepted": n,
        "seconds": elapsed,
        "per_s": n / elapsed,
        "worker_cpu_ms": 1000 * worker_cpu / n if n else None,
        "db_cpu_ms": 1000 * db_cpu / n if n else None,
        "client_cpu_ms": 1000 * own / n if n else None,
        # what 2 idle cores would sustain: the app's and the database's CPU per dossier
        "idle_2core_per_s": 2 / per if n else None,
        "load": os.getloadavg()[0],
    }


def _wait_for_server(port: int) -> None:
    """Until gunicorn answers (at most 2 minutes)."""
    deadline = time.monotonic() + 120
    while True:
        try:
            if Client(port).request("GET", "/login") == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("gunicorn did not start")
        time.sleep(0.5)


class _Clerks:
    """CLIENTS threads posting intakes as the counter's form does, without a pause; those done
    while `counted` is set are counted (`accepted`)."""

    def __init__(self, port: int, procedure: int):
        self.port, self.procedure = port, procedure
        self.run = f"{int(time.time()) % 10**6:06d}"  # 12-digit ID numbers, new in each run
        self.counted = threading.Event()
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.accepted = 0
        self.warm = 0  # intakes done since the start
        self.failures: list = []
        self.threads = [
            threading.Thread(target=self._clerk, args=(n,), daemon=True) for n in range(CLIENTS)
        ]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def warm_up(self, warmup: float) -> None:
        """Workers warm (imports, templates, caches, pool): a few intakes per client, some
        time."""
        started = time.monotonic()
        while self.warm < WARM_INTAKES or time.monotonic() - started < warmup:
            if self.failures or time.monotonic() - started > 120:
                break
            time.sleep(0.2)

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(60)
        if self.failures:
            raise RuntimeError(f"intake failed: {self.failures[:3]}")

    def _clerk(self, n: int) -> None:
        client = Client(self.port)
        status = client.request("POST", "/login", {"username": "admin", "password": "demo1234"})
        if status not in (302, 303):
            self.failures.append(f"login {status}")
            return
        i = 0
        while not self.stop.is_set():
            i += 1
            status = client.request(
                "POST",
                "/dossier/new/",
                {
                    "procedure": self.procedure,
                    "id_number": f"9{self.run}{n}{i % 10000:04d}",
                    "applicant_name": APPLICANT,
                    "phone": "0987654321",
                    "address": "Lạng Sơn",
                    "applicant_kind": "citizen",
                    "channel": "direct",
                    "return_channel": "counter",
                },
                keep_cookies=False,
            )
            if status != 302:
                self.failures.append(f"intake {status}")
                return
            with self.lock:
                self.warm += 1
                if self.counted.is_set():
                    self.accepted += 1


if __name__ == "__main__":
    target = sys.argv[1]
    print(json.dumps(throughput(target, float(sys.argv[2]) if len(sys.argv) > 2 else 20.0)))
