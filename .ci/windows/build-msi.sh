#!/usr/bin/env bash
# build-msi.sh VERSION BINDIR ICO OUT.msi — packs BINDIR/sealdesk.exe, sealctl.exe and sealctl-render.exe into
# the SealDesk installer with wixl (Debian msitools/wixl), following sealdesk.wxs beside this
# script. The executables are expected to be signed already (sign.sh); sign the MSI afterwards.
# wixl resolves sources relative to the .wxs file, so everything is staged in one folder first.
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: build-msi.sh VERSION BINDIR ICO OUT.msi" >&2; exit 2; }
version=$1 bindir=$2 ico=$3 out=$4
command -v wixl >/dev/null || { echo "build-msi.sh: wixl is not installed (apt-get install wixl msitools)" >&2; exit 1; }
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "build-msi.sh: version $version is not MAJOR.MINOR.PATCH" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin"
cp "$here/sealdesk.wxs" "$stage/"
cp "$bindir/sealdesk.exe" "$bindir/sealctl.exe" "$bindir/sealctl-render.exe" "$stage/bin/"
cp "$ico" "$stage/sealdesk.ico"
mkdir -p "$(dirname "$out")"
abs_out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
(cd "$stage" && wixl -a x64 -D Version="$version" -D Bin=bin -D Ico=sealdesk.ico -o out.msi sealdesk.wxs)
mv -f "$stage/out.msi" "$abs_out"
echo "build-msi.sh: wrote $out"
