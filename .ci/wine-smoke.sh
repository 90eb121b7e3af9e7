#!/usr/bin/env bash
# wine-smoke.sh MSI OUTDIR — the Windows build proven under Wine (Debian's wine64 8.0) and Xvfb.
# `make wine-smoke` runs it after `make windows`; not part of `make test` (the cgo cross-build
# alone takes minutes). Everything happens in a temporary WINEPREFIX, removed at the end.
#
#  1. installs the MSI silently (msiexec /i … /qn): files, Start-menu shortcut, the .pdf verb
#     (MUIVerb → the exe's 用 SealDesk 验签), the product's uninstall entry;
#  2. starts SealDesk and captures the window (OUTDIR/home.png: the Chinese home screen), then
#     with a signed PDF on the command line (OUTDIR/verify.png: its verdict in 文件验签), and checks
#     the data folder is %APPDATA%\SealDesk;
#  3. sealctl.exe verify --json on corpus files gives the Linux build's JSON (apart from "file")
#     and the same exit status;
#  4. core/sign's Windows tests (a document held open by another handle; Chinese paths beyond
#     MAX_PATH) run for real on Wine's file system;
#  5. without GLX (Xvfb -extension GLX) the app shows its no-OpenGL MessageBox (OUTDIR/nogl.png)
#     and writes it to %APPDATA%\SealDesk\logs\sealdesk.log;
#  6. a newer MSI (same UpgradeCode, version +1 patch) replaces the installed one (one uninstall
#     entry, the new version) and keeps the data folder; msiexec /x removes files, shortcut and
#     registry entries and still keeps the data folder.
#
# Wine 8.0 has no bcryptprimitives.dll, which every Go >= 1.22 program needs at start: a stand-in
# (.ci/windows/bcryptprimitives.c) is built and put into the prefix's system32 — for this harness
# only, it never ships (Windows 10/11 has the DLL). LOOK at the pictures before trusting a run.
set -uo pipefail
[ $# -eq 2 ] || { echo "usage: wine-smoke.sh MSI OUTDIR" >&2; exit 2; }
msi=$(realpath "$1") out=$2
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out" && out=$(realpath "$out")
wine=/usr/lib/wine/wine64
wineserver=/usr/lib/wine/wineserver
for tool in "$wine" Xvfb xwininfo import x86_64-w64-mingw32-gcc go; do
	command -v "$tool" >/dev/null || { echo "wine-smoke: $tool is missing (apt-get install wine wine64 xvfb x11-utils imagemagick gcc-mingw-w64-x86-64-win32)" >&2; exit 1; }
done
version=$(basename "$msi" | sed -n 's/^SealDesk-\(.*\)-x64\.msi$/\1/p')
[ -n "$version" ] || { echo "wine-smoke: cannot read the version from $msi" >&2; exit 2; }
linux_sealctl=${SEALCTL:-$root/bin/sealctl}
[ -x "$linux_sealctl" ] || { echo "wine-smoke: $linux_sealctl (the Linux build to compare with) is missing: make build-headless" >&2; exit 1; }
corpus=${SEALDESK_CORPUS:-$root/../shared/interop/files}

tmp=$(mktemp -d)
# C.UTF-8 (always present): Wine converts file names and arguments with the Unix locale's
# charset, and a locale that is not installed (zh_CN.UTF-8 here) falls back to ASCII, which turns
# Chinese names into "File not found". The app's language is its own setting (Chinese first).
export WINEPREFIX=$tmp/prefix WINEDEBUG=-all WINEARCH=win64 LANG=C.UTF-8 LC_ALL=C.UTF-8
xpids=()
cleanup() {
	"$wineserver" -k 2>/dev/null
	for p in "${xpids[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }
t0=$(date +%s)
since() { echo "$(($(date +%s) - t0)) s"; }

# startx [ARGS…]: an Xvfb at 1366x768; prints its DISPLAY
startx() {
	local fifo=$tmp/displayfd.$RANDOM
	mkfifo "$fifo"
	Xvfb -displayfd 3 -screen 0 1366x768x24 -nolisten tcp "$@" 3>"$fifo" >/dev/null 2>&1 &
	xpids+=($!)
	local n
	read -r n <"$fifo"
	echo ":$n"
}

# waitwin DISPLAY SECONDS: waits until a window named …SealDesk… is mapped
waitwin() {
	local i
	for ((i = 0; i < $2; i++)); do
		DISPLAY=$1 xwininfo -root -tree 2>/dev/null | grep -q '"SealDesk' && return 0
		sleep 1
	done
	return 1
}

# json_nofile FILE: the JSON without its "file" member (the path differs), keys sorted
json_nofile() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("file",None); print(json.dumps(d,sort_keys=True,indent=1,ensure_ascii=False))' "$1"
}

# capture DISPLAY FILE: waits (up to 90 s) until the screen is no longer black, then keeps it
capture() {
	local i mean
	for ((i = 0; i < 45; i++)); do
		import -display "$1" -window root "$2" 2>/dev/null
		mean=$(convert "$2" -format '%[fx:mean]' info: 2>/dev/null || echo 0)
		awk -v m="$mean" 'BEGIN { exit !(m > 0.05) }' && return 0
		sleep 2
	done
	return 1
}

winpath() { echo "Z:${1//\//\\}"; }

echo "== Wine smoke test of $msi (version $version); pictures and logs in $out"
x86_64-w64-mingw32-gcc -shared -O2 -o "$tmp/bcryptprimitives.dll" "$root/.ci/windows/bcryptprimitives.c" \
	"$root/.ci/windows/bcryptprimitives.def" -ladvapi32 || exit 1
export DISPLAY=$(startx)
"$wine" wineboot -i >"$out/wineboot.log" 2>&1
cp "$tmp/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"
echo "prefix ready ($(since))"

# 1. install
pf="$WINEPREFIX/drive_c/Program Files/SealDesk"
"$wine" msiexec /i "$(winpath "$msi")" /qn /l*v "$(winpath "$out/install.log")"
rc=$?
[ $rc -eq 0 ] && ok "msiexec /i /qn exit 0 ($(since))" || fail "msiexec /i exit $rc (install.log)"
[ -f "$pf/sealdesk.exe" ] && [ -f "$pf/sealctl.exe" ] && [ -f "$pf/sealctl-render.exe" ] && ok "sealdesk.exe, sealctl.exe and sealctl-render.exe in C:\\Program Files\\SealDesk" || fail "files not installed"
lnk=$(find "$WINEPREFIX/drive_c" -name 'SealDesk.lnk' | head -n 1)
[ -n "$lnk" ] && ok "Start-menu shortcut: ${lnk#$WINEPREFIX/drive_c/}" || fail "no Start-menu shortcut"
reg() { "$wine" reg query "$@" 2>/dev/null | tr -d '\r'; }
reg 'HKLM\Software\Classes\SystemFileAssociations\.pdf\shell\SealDesk.Verify' /v MUIVerb | grep -q 'sealdesk.exe,-101' &&
	ok ".pdf context entry (MUIVerb @…sealdesk.exe,-101 = 用 SealDesk 验签)" || fail "no .pdf context entry"
reg 'HKLM\Software\Classes\SystemFileAssociations\.pdf\shell\SealDesk.Verify\command' | grep -q 'sealdesk.exe" "%1"' &&
	ok ".pdf verb command" || fail "no .pdf verb command"
reg 'HKLM\Software\Classes\.pdf\OpenWithProgids' | grep -q 'SealDesk.PDF' && ok "Open With: SealDesk.PDF" || fail "no OpenWithProgids entry"
uninstall_entries() { reg 'HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall' /s | grep -c 'DisplayName *REG_SZ *SealDesk$'; }
[ "$(uninstall_entries)" = 1 ] && ok "one uninstall entry" || fail "uninstall entries: $(uninstall_entries)"

# 2. the window
appdata="$WINEPREFIX/drive_c/users/${USER:-$(id -un)}/AppData/Roaming/SealDesk"
"$wine" "C:\\Program Files\\SealDesk\\sealdesk.exe" >"$out/sealdesk-home.log" 2>&1 &
if waitwin "$DISPLAY" 360; then
	capture "$DISPLAY" "$out/home.png" && ok "home screen captured: $out/home.png ($(since))" || fail "the window stayed black (home.png)"
else
	fail "no SealDesk window within 360 s (sealdesk-home.log)"
fi
"$wineserver" -k 2>/dev/null
sleep 2
[ -d "$appdata" ] && ok "data folder %APPDATA%\\SealDesk: $(ls "$appdata" | tr '\n' ' ')" || fail "no data folder at $appdata (found: $(find "$WINEPREFIX/drive_c/users" -maxdepth 5 -iname sealdesk -type d))"
signed=${SIGNED_PDF:-$corpus/016-itext-valid-doc.pdf}
if [ -f "$signed" ]; then
	cp "$signed" "$tmp/已签合同.pdf"
	"$wine" "C:\\Program Files\\SealDesk\\sealdesk.exe" "$(winpath "$tmp/已签合同.pdf")" >"$out/sealdesk-verify.log" 2>&1 &
	if waitwin "$DISPLAY" 120; then
		sleep 20
		capture "$DISPLAY" "$out/verify.png" && ok "文件验签 with a signed PDF captured: $out/verify.png ($(since))"
	else
		fail "no SealDesk window for the signed PDF"
	fi
	"$wineserver" -k 2>/dev/null
	sleep 2
else
	fail "no signed PDF at $signed"
fi

# 3. sealctl.exe verify --json = the Linux build's
n=0 same=0
for f in "$corpus"/016-*.pdf "$corpus"/017-*.pdf "$corpus"/019-*.pdf "$corpus"/022-*.pdf "$corpus"/030-*.pdf "$corpus"/001-*.pdf "$corpus"/011-*.pdf "$corpus"/025-*.pdf; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	"$linux_sealctl" verify --json "$f" >"$tmp/l.json" 2>/dev/null
	lrc=$?
	"$wine" "C:\\Program Files\\SealDesk\\sealctl.exe" verify --json "$(winpath "$f")" >"$tmp/w.json" 2>/dev/null
	wrc=$?
	if [ $lrc -eq $wrc ] && diff <(json_nofile "$tmp/l.json") <(json_nofile "$tmp/w.json") >"$tmp/diff" 2>&1; then
		same=$((same + 1))
	else
		fail "sealctl verify --json $(basename "$f"): Linux exit $lrc, Wine exit $wrc"; head -20 "$tmp/diff"
	fi
done
[ $n -gt 0 ] && [ $same -eq $n ] && ok "sealctl.exe verify --json = Linux on $same/$n corpus files (exit status too)"
[ $n -gt 0 ] || fail "no corpus files in $corpus"

# 4. core/sign's Windows tests on Wine's file system
(cd "$root" && GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go test -c -o "$tmp/sign.test.exe" ./core/sign/) &&
	{ (cd "$tmp" && "$wine" "$tmp/sign.test.exe" -test.run '^(TestReplaceRefusedOnWindows|TestChineseLongPaths)$' -test.v) >"$out/sign-tests.log" 2>&1; true; }
# Wine 8.0 cannot remove files the way Go's os.RemoveAll does ("TempDir RemoveAll cleanup: unlinkat
# …: Invalid function"), which fails every test at cleanup: only the tests' own complaints count.
complaints=$(grep -E '_test\.go:[0-9]+: ' "$out/sign-tests.log" | grep -v -e 'refused as expected' | grep -vc 'TempDir RemoveAll cleanup')
ran=$(grep -c '^=== RUN' "$out/sign-tests.log")
[ "$ran" -eq 2 ] && [ "$complaints" -eq 0 ] && ok "core/sign Windows tests under Wine: $ran ran, no failure of their own (Wine's RemoveAll cleanup aside) ($(since))" ||
	fail "core/sign Windows tests (sign-tests.log)"

# 5. no OpenGL: an X server without GLX
nogl=$(startx -extension GLX)
rm -f "$appdata/logs/sealdesk.log"
DISPLAY=$nogl "$wine" "C:\\Program Files\\SealDesk\\sealdesk.exe" >"$out/sealdesk-nogl.log" 2>&1 &
for ((i = 0; i < 90; i++)); do
	DISPLAY=$nogl xwininfo -root -tree 2>/dev/null | grep -q 'OpenGL' && break
	sleep 1
done
sleep 3
DISPLAY=$nogl import -window root "$out/nogl.png" && ok "no-OpenGL message captured: $out/nogl.png"
grep -q 'no OpenGL 2.1' "$appdata/logs/sealdesk.log" 2>/dev/null && ok "no-OpenGL message in %APPDATA%\\SealDesk\\logs\\sealdesk.log" || fail "no-OpenGL message not in the log"
"$wineserver" -k 2>/dev/null
sleep 2

# 6. upgrade, then uninstall; the data folder stays
next=$(echo "$version" | awk -F. '{print $1"."$2"."$3+1}')
newmsi="$tmp/SealDesk-$next-x64.msi"
mkdir -p "$tmp/bin"
cp "$pf/sealdesk.exe" "$pf/sealctl.exe" "$pf/sealctl-render.exe" "$tmp/bin/"
(cd "$root" && go run ./assets/iconpack/mkicons.go -ico "$tmp/sealdesk.ico" &&
	.ci/windows/build-msi.sh "$next" "$tmp/bin" "$tmp/sealdesk.ico" "$newmsi" >/dev/null) || fail "building the $next MSI"
touch "$appdata/keep-me"
"$wine" msiexec /i "$(winpath "$newmsi")" /qn /l*v "$(winpath "$out/upgrade.log")"
rc=$?
[ $rc -eq 0 ] && ok "upgrade to $next: msiexec exit 0" || fail "upgrade exit $rc (upgrade.log)"
reg 'HKLM\Software\SealDesk' /v Version | grep -q "$next" && ok "HKLM\\Software\\SealDesk Version = $next" || fail "version after the upgrade: $(reg 'HKLM\Software\SealDesk' /v Version)"
[ "$(uninstall_entries)" = 1 ] && ok "still one uninstall entry after the upgrade" || fail "uninstall entries after the upgrade: $(uninstall_entries)"
[ -f "$appdata/keep-me" ] && ok "data folder kept by the upgrade" || fail "the upgrade removed the data folder"
"$wine" msiexec /x "$(winpath "$newmsi")" /qn /l*v "$(winpath "$out/uninstall.log")"
rc=$?
[ $rc -eq 0 ] && ok "msiexec /x exit 0" || fail "uninstall exit $rc"
[ ! -e "$pf/sealdesk.exe" ] && [ ! -e "$pf/sealctl.exe" ] && [ ! -e "$pf/sealctl-render.exe" ] && ok "files removed" || fail "files left: $(ls "$pf")"
[ -z "$(find "$WINEPREFIX/drive_c" -name 'SealDesk.lnk')" ] && ok "shortcut removed" || fail "shortcut left"
reg 'HKLM\Software\Classes\SystemFileAssociations\.pdf\shell\SealDesk.Verify' | grep -q MUIVerb && fail ".pdf entry left" || ok ".pdf entry removed"
[ "$(uninstall_entries)" = 0 ] && ok "no uninstall entry left" || fail "uninstall entries left: $(uninstall_entries)"
[ -f "$appdata/keep-me" ] && ok "data folder kept by the uninstall" || fail "the uninstall removed the data folder"

echo "== wine smoke: $failures failure(s) in $(since)"
[ $failures -eq 0 ]
