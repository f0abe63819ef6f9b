"""Benchmark: GET /api/me with a valid cookie against the bare GET /api/health, same run.

    make bench            (or: .venv/bin/python bench/me_vs_bare.py --seconds 5 --rounds 3)

The app runs under waitress, as `make serve-room` runs it, with a fresh database in a temporary
folder. Load comes from wrk when it is installed (apt-get install wrk), else from a small
threaded Python client, which is slower and shares the CPU, so its ratio is only indicative.
Rounds alternate between the two endpoints and the median of each is compared.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def serve(instance: str, port: int, threads: int) -> None:
    """Child process: the real app under waitress, with a throwaway instance folder."""
    import logging

    from waitress import serve as waitress_serve

    sys.path.insert(0, str(ROOT))
    from app import create_app

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # one warning per queued request
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/bench.sqlite3",
                      "DEMO_MODE": False, "BCRYPT_ROUNDS": 4}, instance_path=instance)
    waitress_serve(app, host="127.0.0.1", port=port, threads=threads, connection_limit=1000,
                   _quiet=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port: int, method: str, path: str, body: dict | None = None, cookie: str = ""):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json", "Cookie": cookie}
    conn.request(method, path, body=json.dumps(body) if body else None, headers=headers)
    response = conn.getresponse()
    payload = response.read()
    cookies = [h.split(";", 1)[0] for h in response.headers.get_all("Set-Cookie") or []]
    conn.close()
    return response.status, payload, cookies


def wait_until_up(port: int) -> None:
    for _ in range(100):
        try:
            if call(port, "GET", "/api/health")[0] == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def measure_wrk(port: int, path: str, cookie: str, seconds: int, connections: int) -> float:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-H", f"Cookie: {cookie}",
               f"http://127.0.0.1:{port}{path}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"{path} answered errors under load:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def measure_python(port: int, path: str, cookie: str, seconds: int, connections: int) -> float:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=4, help="waitress worker threads")
    args = parser.parse_args()

    instance = tempfile.mkdtemp(prefix="jwt-clinic-bench-")
    port = free_port()
    child = subprocess.Popen([sys.executable, __file__, "--serve", instance, str(port),
                              str(args.threads)], cwd=ROOT)
    try:
        wait_until_up(port)
        user = {"username": "bench", "password": "bench-password"}
        call(port, "POST", "/api/auth/register", user)
        status, _, cookies = call(port, "POST", "/api/auth/login", user)
        assert status == 200, "login failed"
        cookie = "; ".join(cookies)
        assert call(port, "GET", "/api/me", cookie=cookie)[0] == 200

        measure = measure_wrk if shutil.which("wrk") else measure_python
        tool = "wrk" if measure is measure_wrk else "python client (install wrk for real numbers)"
        measure(port, "/api/health", cookie, 1, args.connections)  # warm up
        results: dict[str, list[float]] = {"/api/health": [], "/api/me": []}
        for _ in range(args.rounds):
            for path in results:
                results[path].append(measure(port, path, cookie, args.seconds, args.connections))
        bare, me = (statistics.median(results[p]) for p in ("/api/health", "/api/me"))
        print(f"load: {tool}, {args.connections} connections, waitress {args.threads} threads, "
              f"{args.rounds} rounds of {args.seconds} s, {os.cpu_count()} cores")
        for path, values in results.items():
            print(f"{path:12} median {statistics.median(values):8.0f} req/s   "
                  f"rounds: {', '.join(f'{v:.0f}' for v in values)}")
        print(f"ratio /api/me : /api/health = {me / bare:.2f}")
    finally:
        child.terminate()
        child.wait()
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--serve":
        serve(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        main()
