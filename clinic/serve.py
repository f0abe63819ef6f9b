"""Serve the app with waitress, a production WSGI server that also runs on Windows.

    python -m clinic.serve --host 0.0.0.0 --port 5000

Used by `make serve-room` (a workshop served from one laptop) and by the benchmarks.
"""

import argparse
import logging

from waitress import serve

from app import create_app
from clinic.security import warn_if_insecure


def main(argv: list[str] | None = None) -> None:
    """Parse the options and serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=8)
    # Waitress's default of 100 counts its own listening socket: too few for a full room.
    parser.add_argument("--connection-limit", type=int, default=500)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app()
    warn_if_insecure(app, args.host)
    serve(app, host=args.host, port=args.port, threads=args.threads,
          connection_limit=args.connection_limit, ident="jwt-clinic")


if __name__ == "__main__":
    main()
