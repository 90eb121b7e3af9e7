#!/usr/bin/env bash
# .ci/apt.sh PKG... installs the Debian packages that are missing (dpkg -s), without recommends;
# it does nothing, not even apt-get update, when every package is there.
set -euo pipefail
missing=()
installed=" $(dpkg-query -W -f '${Package} ${db:Status-Abbrev}\n' "$@" 2>/dev/null | awk '$2 ~ /^ii/ {print $1}' | tr '\n' ' ' || true) "
for p in "$@"; do
	case "$installed" in *" $p "*) ;; *) missing+=("$p") ;; esac
done
if [ ${#missing[@]} = 0 ]; then
	echo "    all $# packages installed"
	exit 0
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
echo "    installing ${#missing[@]} missing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q -o=Dpkg::Use-Pty=0 | grep -v '^\(Hit\|Get\|Ign\):' || true
$SUDO apt-get install -y -q -o=Dpkg::Use-Pty=0 --no-install-recommends "${missing[@]}" |
	grep -E '^(E:|W:|[0-9]+ upgraded)' || true
for p in "${missing[@]}"; do
	dpkg -s "$p" >/dev/null 2>&1 || { echo "apt: $p did not install" >&2; exit 1; }
done
