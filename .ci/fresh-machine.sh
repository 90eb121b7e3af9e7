#!/usr/bin/env bash
# The fresh-machine walk (`make fresh-machine-check`; NOT run by CI: it takes 30–90 minutes on
# 2 cores). It builds a minimal Debian 13 with debootstrap, clones this repository into it from a
# local path (so there is no ../shared beside the clone), follows the README's first steps and
# nothing else — the apt-get line of its "Fresh machine" block, `make test`, `make run` — and
# takes a screenshot of the running window under Xvfb. Needs root (debootstrap, chroot, mounts).
#
# Output: build/fresh-machine/walk.log (everything), summary.txt (the closing lines of each step),
# run.png (the screenshot). The chroot is made in FRESH_DIR (/var/tmp/sealdesk-fresh-machine),
# outside the repository; FRESH_SUITE (trixie) picks the Debian release; FRESH_KEEP=1 keeps the
# chroot afterwards. The minimal Debian is cached there as a tarball (base-SUITE.tar): it is what
# debootstrap makes and nothing more, unpacked anew for each walk.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
SUITE=${FRESH_SUITE:-trixie}
OUT=$REPO/build/fresh-machine
# The chroot lives outside the repository: `go vet ./...` and `go test ./...` must not walk into
# it (nor its /proc).
WORK=${FRESH_DIR:-/var/tmp/sealdesk-fresh-machine}
ROOT=$WORK/root
mkdir -p "$OUT" "$WORK"
LOG=$OUT/walk.log
SUMMARY=$OUT/summary.txt
: >"$LOG"
: >"$SUMMARY"
[ "$(id -u)" = 0 ] || { echo "fresh-machine: run as root (debootstrap and chroot need it)" >&2; exit 2; }

say() { echo "fresh-machine: $*" | tee -a "$SUMMARY"; }
t0=$(date +%s)
elapsed() { echo "$(( $(date +%s) - $1 )) s"; }

# The Debian mirror is the one this machine's apt already uses.
MIRROR=${FRESH_MIRROR:-$(grep -h -oP '^(URIs:\s*|deb\s+(\[[^]]*\]\s+)?)\K\S+' \
  /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | grep -v security | head -n 1 || true)}
[ -n "$MIRROR" ] || { echo "fresh-machine: no Debian mirror found in /etc/apt" >&2; exit 2; }

command -v debootstrap >/dev/null || {
  say "installing debootstrap on the host"
  apt-get update -q >>"$LOG" 2>&1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap git >>"$LOG" 2>&1
}

cleanup() {
  for m in dev/shm dev/pts dev sys proc; do
    mountpoint -q "$ROOT/$m" 2>/dev/null && umount -l "$ROOT/$m"
  done
  if [ "${FRESH_KEEP:-}" != 1 ] && [ -d "$ROOT" ]; then rm -rf --one-file-system "$ROOT"; fi
}
trap cleanup EXIT
trap "exit 130" INT TERM
cleanup

# 1. A minimal Debian: debootstrap's minbase variant (apt, dpkg, coreutils; no git, make, gcc,
# Go, certificates or X).
BASE=$WORK/base-$SUITE.tar
if [ ! -s "$BASE" ]; then
  s=$(date +%s)
  say "debootstrap --variant=minbase $SUITE (first walk only; cached in $BASE)"
  rm -rf "$WORK/base-root"
  debootstrap --variant=minbase "$SUITE" "$WORK/base-root" "$MIRROR" >>"$LOG" 2>&1
  tar -C "$WORK/base-root" -cf "$BASE.tmp" . && mv "$BASE.tmp" "$BASE"
  rm -rf --one-file-system "$WORK/base-root"
  say "debootstrap: $(elapsed "$s")"
fi
mkdir -p "$ROOT"
tar -C "$ROOT" -xf "$BASE"
mount -t proc proc "$ROOT/proc"
mount --bind /sys "$ROOT/sys"
mount --bind /dev "$ROOT/dev"
mount --bind /dev/pts "$ROOT/dev/pts"
mount -t tmpfs shm "$ROOT/dev/shm"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
[ -s "$ROOT/etc/hosts" ] || printf "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" >"$ROOT/etc/hosts"
say "fresh $SUITE root: $(du -sxh "$ROOT" 2>/dev/null | cut -f1), $(chroot "$ROOT" dpkg-query -f '.\n' -W | wc -l) packages;" \
  "git: $(chroot "$ROOT" sh -c 'command -v git || echo none'), make: $(chroot "$ROOT" sh -c 'command -v make || echo none')," \
  "go: $(chroot "$ROOT" sh -c 'command -v go || echo none')"

# The repository as a newcomer gets it: a bare copy of this commit that the README's `git clone`
# reads from a local path inside the chroot (the walk has no other network source for it).
git -C "$REPO" clone -q --bare --no-local "$REPO" "$ROOT/srv/sealdesk.git" 2>>"$LOG" ||
  git clone -q --bare "$REPO" "$ROOT/srv/sealdesk.git"
say "repository: $(git -C "$REPO" log -1 --format='%h %s' | cut -c1-100)"

# Runs a command in the chroot as the newcomer's root shell would, with a line per minute while
# it runs and its duration at the end; all output goes to the log, the last lines to the summary.
inroot() {
  local name=$1; shift
  local s; s=$(date +%s)
  say "$name: $*"
  local rc=0
  (
    chroot "$ROOT" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
      PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin "$@"
  ) >>"$LOG" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    if kill -0 "$pid" 2>/dev/null && [ $(( ($(date +%s) - s) % 60 )) -lt 5 ]; then
      echo "fresh-machine:   … $name still running after $(elapsed "$s"): $(tail -n 1 "$LOG" | cut -c1-120)"
    fi
  done
  wait "$pid" || rc=$?
  say "$name: exit $rc after $(elapsed "$s")"
  return $rc
}

# The network of this machine: TLS to the package registries may pass an inspecting proxy whose
# CA the host trusts through /usr/local/share/ca-certificates; a fresh machine of the same
# workplace has it too. It is placed where the README's `ca-certificates` package picks it up.
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
  mkdir -p "$ROOT/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
  say "machine's local CA certificates copied in: $(cd /usr/local/share/ca-certificates && ls ./*.crt | wc -l)"
fi

# 2. The README's install line, as it stands (run as root: a minimal Debian has no sudo).
INSTALL=$(sed -n '/^## Fresh machine/,/^## /p' "$REPO/README.md" | grep -m1 -E '^(sudo )?apt-get' | sed 's/sudo //g; s/ *#.*$//')
[ -n "$INSTALL" ] || { say "README has no apt-get install line under '## Fresh machine'"; exit 1; }
inroot "README install" sh -c "export DEBIAN_FRONTEND=noninteractive; $INSTALL"
inroot "go version" sh -c 'go version'

# 3. git clone from the local path, then the README's two commands.
inroot "git clone" git clone /srv/sealdesk.git /root/sealdesk
rc_test=0
inroot "make test" sh -c 'cd /root/sealdesk && make test' || rc_test=$?
grep -E '^(test summary|  [0-9]+ (passed|skipped|failed)|[0-9]+ passed, [0-9]+ failed)' "$LOG" | tail -n 40 | sed 's/^/  /' | tee -a "$SUMMARY"

# 4. `make run` without a display: the sentence and the exit code, not a stack trace.
# make stops with its own status 2 and names the app's: "Error 3".
inroot "make run (no display)" sh -c 'cd /root/sealdesk && make run' || true
tail -n 4 "$LOG" | sed 's/^/  /' | tee -a "$SUMMARY"
nodisp=bad
if tail -n 4 "$LOG" | grep -q 'no graphical display' && tail -n 4 "$LOG" | grep -q 'Error 3' &&
	! grep -q 'goroutine [0-9]* \[' "$LOG"; then
	nodisp=ok
fi

# killtree PID ends PID and the processes it started (by id: the chroot shares the host's PIDs).
killtree() {
  local c
  for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do killtree "$c"; done
  kill -TERM "$1" 2>/dev/null || true
}

# 5. `make run` under Xvfb: wait for the window, capture the screen, quit.
inroot "install Xvfb and a screen grabber for the walk itself" sh -c \
  'DEBIAN_FRONTEND=noninteractive apt-get install -y -q xvfb xauth imagemagick x11-utils'
chroot "$ROOT" Xvfb :73 -screen 0 1280x800x24 -nolisten tcp >>"$LOG" 2>&1 &
xvfbpid=$!
sleep 2
s=$(date +%s)
say "make run (Xvfb :73)"
chroot "$ROOT" /usr/bin/env -i HOME=/root TERM=dumb LANG=zh_CN.UTF-8 DISPLAY=:73 \
  PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin sh -c 'cd /root/sealdesk && exec make run' >>"$LOG" 2>&1 &
runpid=$!
shown=""
for _ in $(seq 1 180); do
  sleep 2
  kill -0 "$runpid" 2>/dev/null || break
  if chroot "$ROOT" env DISPLAY=:73 xwininfo -root -tree 2>/dev/null | grep -Eq 'SealDesk|sealdesk| (1[0-9]{3}|[89][0-9]{2})x[0-9]{3,4}\+'; then shown=1; break; fi
done
rc_run=0
if [ -n "$shown" ]; then
  say "make run: window mapped $(elapsed "$s") after make run started"
  sleep 8 # the first frames, the home screen's data
  chroot "$ROOT" env DISPLAY=:73 import -window root /tmp/run.png >>"$LOG" 2>&1 && cp "$ROOT/tmp/run.png" "$OUT/run.png"
  [ -s "$OUT/run.png" ] && say "screenshot: $OUT/run.png" || { say "screenshot failed"; rc_run=1; }
  killtree "$runpid"
else
  say "make run: no SealDesk window after $(elapsed "$s")"; rc_run=1
fi
killtree "$runpid"
wait "$runpid" 2>/dev/null || true
kill "$xvfbpid" 2>/dev/null || true
wait "$xvfbpid" 2>/dev/null || true

say "done in $(elapsed "$t0"): make test exit $rc_test, make run without display $nodisp, make run under Xvfb $([ $rc_run = 0 ] && echo ok || echo FAILED)"
[ $rc_test = 0 ] && [ $rc_run = 0 ] && [ $nodisp = ok ]
