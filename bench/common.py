"""What the benchmarks share: a real server in a child process, requests, load generators."""

import http.client
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def bench_app(instance: str, rounds: int):
    """The real app with a throwaway instance folder and database."""
    sys.path.insert(0, str(ROOT))
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/bench.sqlite3",
                       "DEMO_MODE": False, "BCRYPT_ROUNDS": rounds}, instance_path=instance)


def serve_with_waitress(instance: str, port: int, threads: int, rounds: int) -> None:
    """Child process: the app under waitress, as `make serve-room` runs it."""
    import logging

    from waitress import serve

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # one warning per queued request
    serve(bench_app(instance, rounds), host="127.0.0.1", port=port, threads=threads,
          connection_limit=1000, _quiet=True)


@contextmanager
def running_server(threads: int, bcrypt_rounds: int = 4, server: str = "waitress"):
    """Start the app in a child process; yield its port; stop it afterwards.

    waitress: one process, `threads` worker threads plus its I/O thread.
    gunicorn: `threads` sync worker processes, one request at a time each (POSIX only).
    """
    instance = tempfile.mkdtemp(prefix="jwt-clinic-bench-")
    port = free_port()
    if server == "gunicorn":
        command = [sys.executable, "-m", "gunicorn", "--workers", str(threads),
                   "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--chdir",
                   str(Path(__file__).parent), f"common:bench_app({instance!r}, {bcrypt_rounds})"]
    else:
        command = [sys.executable, __file__, instance, str(port), str(threads), str(bcrypt_rounds)]
    child = subprocess.Popen(command, cwd=ROOT)
    try:
        wait_until_up(port)
        yield port
    finally:
        child.terminate()
        child.wait()
        shutil.rmtree(instance, ignore_errors=True)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port: int, method: str, path: str, body: dict | None = None, cookie: str = ""):
    """One request; returns the status, the body and the cookies set, as name=value."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json", "Cookie": cookie}
    conn.request(method, path, body=json.dumps(body) if body else None, headers=headers)
    response = conn.getresponse()
    payload = response.read()
    cookies = [h.split(";", 1)[0] for h in response.headers.get_all("Set-Cookie") or []]
    conn.close()
    return response.status, payload, cookies


def wait_until_up(port: int) -> None:
    """Wait for the server to answer /api/health, for up to ten seconds."""
    for _ in range(100):
        try:
            if call(port, "GET", "/api/health")[0] == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def measure_wrk(port: int, path: str, cookie: str, seconds: int, connections: int) -> float:
    """Requests per second that wrk reaches on one path; errors abort the benchmark."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-H", f"Cookie: {cookie}",
               f"http://127.0.0.1:{port}{path}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"{path} answered errors under load:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def measure_python(port: int, path: str, cookie: str, seconds: int, connections: int) -> float:
    """Requests per second from threads of http.client, when wrk is not installed."""
    done, stop = [0], time.monotonic() + seconds
    lock = threading.Lock()

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        count = 0
        while time.monotonic() < stop:
            conn.request("GET", path, headers={"Cookie": cookie})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"{path} answered {response.status}")
            count += 1
        with lock:
            done[0] += count

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done[0] / seconds




if __name__ == "__main__":
    serve_with_waitress(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
