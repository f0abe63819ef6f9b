"""Benchmark: how many learners can one laptop serve? (make bench-room)

Serves the app as `make serve-room` does (waitress, 8 threads, bcrypt cost 12) and measures,
in one run:
- logins per second, which bcrypt limits on purpose (the first minutes of a workshop);
- requests per second for what a learner's browser asks for during a workshop: a lab page
  and a lab's scenario JSON (both replay the lab's story on the server), a lesson page and
  GET /api/me.

It then estimates the room size at one request every 2 seconds per learner, the pace of a lab
demo that polls every second in about half the learners' tabs at once.
"""

import argparse
import os
import shutil
import statistics
import threading
import time

from common import call, measure_python, measure_wrk, running_server

# The lab page and the scenario JSON each replay the lab's story on the server (several
# requests inside one), so they stand in, generously, for the live demo's polling too.
MIX = ["/labs/short-expiry?mode=broken", "/labs/short-expiry/scenario?mode=fixed",
       "/lessons/how-it-works", "/api/me"]


def logins_per_second(port: int, users: int, parallel: int) -> float:
    """Register `users` accounts, then log them all in from `parallel` threads."""
    names = [f"learner{n}" for n in range(users)]
    for name in names:
        call(port, "POST", "/api/auth/register", {"username": name, "password": "workshop-pass"})
    queue, lock = list(names), threading.Lock()

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                name = queue.pop()
            status = call(port, "POST", "/api/auth/login",
                          {"username": name, "password": "workshop-pass"})[0]
            assert status == 200, f"login answered {status}"

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return users / (time.monotonic() - started)


def main() -> None:
    """Measure logins and the learner mix, then estimate the room size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--users", type=int, default=24)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    measure = measure_wrk if shutil.which("wrk") else measure_python

    with running_server(threads=8, bcrypt_rounds=12) as port:
        logins = logins_per_second(port, args.users, parallel=8)
        cookie = "; ".join(call(port, "POST", "/api/auth/login",
                                {"username": "learner0", "password": "workshop-pass"})[2])
        rates = {path: measure(port, path, cookie, args.seconds, args.connections) for path in MIX}

    mix_rate = len(MIX) / sum(1 / rate for rate in rates.values())  # an equal share of each
    print(f"{os.cpu_count()} cores, waitress 8 threads, bcrypt cost 12, load from "
          f"{'wrk' if measure is measure_wrk else 'python'}")
    print(f"logins: {logins:.1f} per second ({args.users} learners logging in at once: "
          f"{args.users / logins:.1f} s for the last one)")
    for path, rate in rates.items():
        print(f"{path:34} {rate:8.0f} req/s")
    print(f"learner mix: {mix_rate:.0f} req/s; at one request per 2 s per learner that is "
          f"about {int(mix_rate * 2)} learners, with the CPU fully busy")
    print(f"a room of 30 logging in at once waits about {30 / logins:.0f} s; "
          f"100 wait about {100 / logins:.0f} s")
    print(f"median single-path rate: {statistics.median(rates.values()):.0f} req/s")


if __name__ == "__main__":
    main()
