"""Child process of the launcher: runs clickhouse-local (inside chdb) with HTTP and TCP listeners.

The listeners live while one query batch runs, so the batch ends with a control query that
sleeps (one row a second, no CPU) until the launcher cancels it as the admin user (clean stop).
It runs as `default`, which may start the listeners and nothing else: no table, no file; and
its quota is exactly the statements of this batch, so once the listeners are up nobody else can
run anything as `default` (see server.USERS_XML).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

CONTROL_MARKER = "atenciones-control"
CONTROL_BATCH = (
    "SYSTEM START LISTEN HTTP",
    "SYSTEM START LISTEN TCP",
    f"SELECT /* {CONTROL_MARKER} */ count() FROM numbers(1000000000000) "
    "WHERE sleepEachRow(1) = 0 SETTINGS max_block_size = 1",
)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--run-dir", required=True, help="folder holding config.xml and users.xml")
    parser.add_argument("--data-dir", required=True)
    args = parser.parse_args()
    # chdb reads ./config.xml when imported: import it from an empty folder, then move to ours.
    with tempfile.TemporaryDirectory() as empty:
        os.chdir(empty)
        import chdb._chdb as chdb_core  # noqa: PLC0415 - must follow the chdir

    os.chdir(args.run_dir)
    batch = "; ".join(CONTROL_BATCH)
    print("clickhouse: listening", flush=True)
    # TabSeparated becomes the server's default HTTP format (clickhouse-connect needs that one).
    run_batch = chdb_core.query  # type: ignore[attr-defined]
    try:
        run_batch(batch, "TabSeparated", path=args.data_dir)
    except RuntimeError as exc:  # the cancelled control query
        if "QUERY_WAS_CANCELLED" not in str(exc):
            raise
    print("clickhouse: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
