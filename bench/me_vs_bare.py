"""Benchmark: GET /api/me with a valid cookie against the bare GET /api/health, same run.

    make bench    (or: .venv/bin/python bench/me_vs_bare.py --server gunicorn --threads 2)

The app runs under waitress, as `make serve-room` runs it, or under gunicorn's sync workers,
with a fresh database in a temporary folder. Load comes from wrk when it is installed (apt-get install wrk), else from a small
threaded Python client, which is slower and shares the CPU, so its ratio is only indicative.
Rounds alternate between the two endpoints and the median of each is compared.
"""

import argparse
import os
import shutil
import statistics

from common import call, measure_python, measure_wrk, running_server


def main() -> None:
    """Log in once, then alternate load on the two endpoints and print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--server", choices=["waitress", "gunicorn"], default="waitress")
    parser.add_argument("--threads", type=int, default=4,
                        help="waitress worker threads, or gunicorn worker processes")
    args = parser.parse_args()

    with running_server(args.threads, server=args.server) as port:
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
    workers = "threads" if args.server == "waitress" else "workers"
    print(f"load: {tool}, {args.connections} connections, {args.server} {args.threads} {workers}, "
          f"{args.rounds} rounds of {args.seconds} s, {os.cpu_count()} cores")
    for path, values in results.items():
        print(f"{path:12} median {statistics.median(values):8.0f} req/s   "
              f"rounds: {', '.join(f'{v:.0f}' for v in values)}")
    print(f"ratio /api/me : /api/health = {me / bare:.2f}")


if __name__ == "__main__":
    main()
