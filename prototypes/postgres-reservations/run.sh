#!/usr/bin/env bash
# Proves Flagshop's stock reservations stay oversell-proof on PostgreSQL with many processes:
# starts a throwaway PostgreSQL cluster in a temp dir (unix socket only, no TCP), runs race.py
# against it, then stops the cluster and deletes the temp dir, whatever happened.
#
# Usage: prototypes/postgres-reservations/run.sh [race.py options, e.g. --unsafe or --workers 50]
# Needs: python3 with venv (Debian: python3 python3-venv), PostgreSQL's server binaries
# (Debian: postgresql); psycopg 3 is installed from PyPI into .venv/pg-prototype.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${PG_PROTOTYPE_VENV:-$root/.venv/pg-prototype}

# psycopg 3 in a venv of its own, only if it is not there yet.
if ! [ -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import psycopg' >/dev/null 2>&1; then
  if ! command -v python3 >/dev/null 2>&1; then
    echo "run.sh: python3 is missing; install it (Debian: apt-get install python3 python3-venv)" >&2
    exit 1
  fi
  if [ ! -x "$venv/bin/python" ]; then
    echo "run.sh: creating $venv"
    python3 -m venv "$venv"
  fi
  echo "run.sh: installing psycopg[binary] into $venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'psycopg[binary]>=3.1,<4'
fi

# PostgreSQL's server binaries: the newest Debian version, else whatever /usr/local/bin has.
shopt -s nullglob
candidates=(/usr/lib/postgresql/*/bin)
shopt -u nullglob
bindir=""
for dir in $(printf '%s\n' ${candidates[@]+"${candidates[@]}"} | sort -rV) /usr/local/bin; do
  if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
    bindir=$dir
    break
  fi
done
if [ -z "$bindir" ]; then
  echo "run.sh: PostgreSQL's server binaries (initdb, pg_ctl, postgres) were not found in" \
    "/usr/lib/postgresql/*/bin or /usr/local/bin. Install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y postgresql" >&2
  exit 1
fi

# initdb and postgres refuse to run as root: as root, the cluster belongs to nobody. The temp
# dir stays private (0700); root reaches the socket in it all the same.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/flagshop-pg.XXXXXX")
as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  chown nobody: "$tmp"
  if command -v runuser >/dev/null 2>&1; then
    as_owner=(runuser -u nobody --)
  else
    as_owner=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups --)
  fi
fi
# Runs a PostgreSQL tool as the cluster's owner, from a directory that owner can read.
as_pg() { (cd "$tmp" && ${as_owner[@]+"${as_owner[@]}"} "$@"); }

cleanup() {
  local rc=$?
  if [ -f "$tmp/data/postmaster.pid" ]; then
    if ! as_pg "$bindir/pg_ctl" -D "$tmp/data" -m immediate -s -w stop >/dev/null 2>&1; then
      pid=$(head -n 1 "$tmp/data/postmaster.pid" 2>/dev/null || true)
      [ -n "$pid" ] && kill -QUIT "$pid" 2>/dev/null || true
    fi
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The port only names the socket file: listen_addresses='' opens no TCP port. fsync and
# synchronous_commit are off (the data is thrown away); track_commit_timestamp lets race.py
# replay the history in commit order; deadlock_timeout is short so that the runs that provoke
# deadlocks on purpose do not sit out a second for each.
port=5432
# One line: pg_ctl hands it to a shell, where a newline would end the command.
server_options="-k $tmp -p $port -c listen_addresses='' -c fsync=off -c synchronous_commit=off"
server_options+=" -c full_page_writes=off -c track_commit_timestamp=on -c deadlock_timeout=100ms"
server_options+=" -c max_connections=200 -c unix_socket_permissions=0700"
echo "run.sh: PostgreSQL from $bindir, cluster in $tmp"
if ! as_pg "$bindir/initdb" -D "$tmp/data" -U postgres --auth=trust -E UTF8 --locale=C --no-sync \
  >"$tmp/initdb.log" 2>&1; then
  cat "$tmp/initdb.log" >&2
  exit 1
fi
if ! as_pg "$bindir/pg_ctl" -D "$tmp/data" -l "$tmp/data/server.log" -w -t 60 -s start \
  -o "$server_options"; then
  cat "$tmp/data/server.log" >&2 || true
  exit 1
fi

timeout 300 "$venv/bin/python" "$here/race.py" \
  "host=$tmp port=$port user=postgres dbname=postgres" "$@"
