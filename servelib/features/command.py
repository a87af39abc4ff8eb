"""`servelib features push`: materialize an offline feature table into an online store."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("features", help="online feature stores: push a feature table")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    push = actions.add_parser(
        "push", help="load a Parquet feature table into Redis, Cassandra or the embedded store",
        description="Write every row of DATA (Parquet file or dataset directory) into the store, "
                    "keyed by --key, with the write time; re-running gives the same store.")
    push.add_argument("data", metavar="DATA", help="the offline feature table (Parquet)")
    push.add_argument("--store", required=True,
                      help="redis://HOST:PORT/DB, cassandra://HOST:PORT/KEYSPACE, or a directory "
                           "for the embedded store")
    push.add_argument("--table", required=True, help="feature group table (Redis key prefix)")
    push.add_argument("--key", required=True,
                      help="entity key column(s), comma-separated for a composite key")
    push.add_argument("--batch-size", type=int, default=10_000, help="rows per write batch")
    push.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                      help="progress bar on stderr (default: when stderr is a terminal)")
    push.set_defaults(func=run_push)


def run_push(args: argparse.Namespace) -> int:
    from servelib.errors import InvalidInput
    from servelib.features.materialize import push
    from servelib.scorefile import progress

    if args.batch_size < 1:
        raise InvalidInput("--batch-size must be at least 1")
    keys = [k.strip() for k in args.key.split(",") if k.strip()]
    show = args.progress if args.progress is not None else sys.stderr.isatty()
    with progress(None, show, "rows") as bar:
        written = push(args.store, args.table, keys, args.data, batch_size=args.batch_size,
                       progress=bar)
    print(f"servelib: pushed {written} row{'s' if written != 1 else ''} into {args.table!r} "
          f"at {args.store}", file=sys.stderr)
    return 0
