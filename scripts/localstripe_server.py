"""Starts localstripe (a Stripe-compatible test server) for one test run or one demo.

Unlike `localstripe --port P`, it
- listens on 127.0.0.1 only (localstripe itself binds every interface),
- keeps its store in memory, or in a pickle file of your choosing with --store, instead of the
  fixed /tmp/localstripe.pickle that parallel runs would overwrite, and always starts empty,
- takes a free port when --port is 0 (the default) and prints the port alone on stdout's first
  line, so the caller can read it,
- with --exit-with-stdin, exits when its stdin closes: the parent that holds the other end can
  die in any way (even SIGKILL) without leaving a server behind,
- with --today, behaves like today's Stripe API (version 2026-09-30.endive, what the app's
  async-stripe sends) wherever the app depends on it: see scripts/stripe_today.py for the
  rules, routes and test helpers. Timed changes there (pending refunds settling, failing
  refunds, disputes) happen --async-delay seconds (default 1.0) after their cause. Without
  --today it is plain localstripe.

Run it with the venv that scripts/localstripe.sh makes:
    .venv/localstripe/bin/python scripts/localstripe_server.py [--port P] [--store FILE]
        [--exit-with-stdin] [--quiet] [--today [--async-delay SECONDS]]
"""

import argparse
import asyncio
import logging
import os
import pickle
import socket
import sys


def patch_store(path):
    """Points localstripe's store at `path` (or at nothing), before any request touches it."""
    from localstripe.resources import Store

    def load(self):
        # Starting from scratch is the point: never read an earlier store.
        pass

    def dump_in_memory(self):
        pass

    def dump_to_file(self):
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            pickle.dump(dict(self), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)

    Store.try_load_from_disk = load
    Store.dump_to_disk = dump_to_file if path else dump_in_memory


async def exit_when_stdin_closes():
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.buffer.read)
    # The parent is gone: leave at once, without waiting for open connections.
    os._exit(0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 (default): a free port")
    parser.add_argument("--store", help="pickle file for the store (default: memory only)")
    parser.add_argument("--exit-with-stdin", action="store_true")
    parser.add_argument("--quiet", action="store_true", help="no access log on stderr")
    parser.add_argument("--today", action="store_true",
                        help="behave like today's Stripe API (see scripts/stripe_today.py)")
    parser.add_argument("--async-delay", type=float, default=1.0, metavar="SECONDS",
                        help="--today: delay of timed changes (refunds, disputes); default 1.0")
    args = parser.parse_args()
    if args.async_delay < 0:
        parser.error("--async-delay must not be negative")

    patch_store(os.path.abspath(args.store) if args.store else None)
    # Imported after the patch so that nothing can reach the store unpatched.
    from aiohttp import web
    from localstripe.server import app

    if args.today:
        # Next to this file; imported only now, after the store patch, like localstripe.
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import stripe_today

        stripe_today.install(app, async_delay=args.async_delay)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(128)
    print(sock.getsockname()[1], flush=True)

    access_log = None
    if not args.quiet:
        access_log = logging.getLogger("aiohttp.access")
        access_log.setLevel(logging.INFO)
        access_log.addHandler(logging.StreamHandler(sys.stderr))

    if args.exit_with_stdin:
        async def watch_parent(_app):
            asyncio.ensure_future(exit_when_stdin_closes())

        app.on_startup.append(watch_parent)

    web.run_app(app, sock=sock, print=None, access_log=access_log)


if __name__ == "__main__":
    main()
