#!/usr/bin/env bash
# .ci/with-postgres.sh CMD [ARG...] runs CMD with SEALDESK_TEST_POSTGRES pointing at a PostgreSQL
# database. Given SEALDESK_TEST_POSTGRES, it runs CMD as is. Otherwise it starts a throwaway
# cluster (installing Debian's postgresql when its binaries are missing, like the other packages):
# initdb in a temporary folder, owned by the postgres user, listening on 127.0.0.1 only, on the
# first free port from PGPORT (55432); it creates the database sealdesk_test, runs CMD, then stops
# the cluster and removes the folder. `make test` and `.ci/run` both go through here.
set -euo pipefail
if [ -n "${SEALDESK_TEST_POSTGRES:-}" ]; then
	echo "    PostgreSQL: SEALDESK_TEST_POSTGRES given, no throwaway cluster"
	exec "$@"
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
here=$(cd "$(dirname "$0")" && pwd)

if ! ls -d /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	"$here/step.sh" "apt: postgresql" "$here/apt.sh" postgresql
fi
PGBIN=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/sealdesk-pg.XXXXXX")
PGOS=postgres
id "$PGOS" >/dev/null 2>&1 || $SUDO useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin "$PGOS"
$SUDO chown "$PGOS" "$PGDIR"
chmod 755 "$PGDIR"
runpg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u "$PGOS" -- "$@"
	else
		sudo -u "$PGOS" -- "$@"
	fi
}
port=${PGPORT:-55432}
portfree() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
while ! portfree "$port"; do port=$((port + 1)); done

stop() {
	runpg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null 2>&1 || true
	$SUDO rm -rf "$PGDIR"
}
trap stop EXIT
t0=$(date +%s)
runpg "$PGBIN/initdb" -D "$PGDIR/data" -U sealdesk --auth=trust -E UTF8 --locale=C.UTF-8 >"$PGDIR/initdb.log" 2>&1 ||
	{ cat "$PGDIR/initdb.log"; exit 1; }
runpg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/pg.log" -w -o \
	"-p $port -k $PGDIR -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null ||
	{ cat "$PGDIR/pg.log"; exit 1; }
runpg "$PGBIN/createdb" -h 127.0.0.1 -p "$port" -U sealdesk sealdesk_test
export SEALDESK_TEST_POSTGRES="postgres://sealdesk@127.0.0.1:$port/sealdesk_test?sslmode=disable"
echo "    PostgreSQL: throwaway cluster $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($(($(date +%s) - t0)) s), stopped afterwards"
set +e
"$@"
rc=$?
exit "$rc"
