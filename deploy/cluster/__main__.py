"""`sudo .venv/bin/python -m deploy.cluster --database NAME`: a cluster kept up until Ctrl-C."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from deploy.cluster.driver import Cluster, stop_on_sigterm


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", required=True, help="an existing, migrated database")
    parser.add_argument("--hosts", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-pgbouncer", action="store_true")
    args = parser.parse_args(argv)
    stop_on_sigterm()
    workdir = Path(tempfile.mkdtemp(prefix="banking-cluster-"))
    cluster = Cluster(
        workdir, args.database, app_hosts=args.hosts, workers=args.workers,
        pgbouncer=not args.no_pgbouncer,
    ).start()
    cluster.start_worker()
    cluster.start_beat()
    print(f"cluster up: http://{cluster.lb.ip}/ (logs in {workdir}); Ctrl-C stops it")  # noqa: T201
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        cluster.stop()



if __name__ == "__main__":
    sys.exit(main())
