"""Starts localstripe (a Stripe-compatible test server) for one test run or one demo.

Unlike `localstripe --port P`, it
- listens on 127.0.0.1 only (localstripe itself binds every interface),
- keeps its store in memory, or in a pickle file of your choosing with --store, instead of the
  fixed /tmp/localstripe.pickle that parallel runs would overwrite, and always starts empty,
- takes a free port when --port is 0 (the default) and prints the port alone on stdout's first
  line, so the caller can read it,
- with --exit-with-stdin, exits when its stdin closes: the parent that holds the other end can
  die in any way (even SIGKILL) without leaving a server behind.

Run it with the venv that scripts/localstripe.sh makes:
    .venv/localstripe/bin/python scripts/localstripe_server.py [--port P] [--store FILE]
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
    args = parser.parse_args()

    patch_store(os.path.abspath(args.store) if args.store else None)
    # Imported after the patch so that nothing can reach the store unpatched.
    from aiohttp import web
    from localstripe.server import app

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
