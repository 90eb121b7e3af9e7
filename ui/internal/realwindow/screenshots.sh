#!/bin/sh
# Screenshots of every screen (and tab) in both languages, both themes, at 1366×768 and 1024×640,
# in a real window under Xvfb: `make screenshots` runs this with the built binaries.
# The window shows a generated sample contract (文件, 发起签署) and, in 文件验签, a copy of it
# sealed by `sealctl sign` with a throwaway key made here by openssl (nothing is kept).
# Usage: screenshots.sh OUTDIR [extra sealdesk flags: --shot-langs zh --shot-themes dark ...]
set -eu
out=$1; shift
bin=${BIN:-bin}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go run ./ui/internal/samplepdf -pages 3 "$tmp/采购合同.pdf"
openssl req -utf8 -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/C=CN/O=示例科技有限公司/CN=张三" \
	-keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
"$bin/sealctl" seal --style contract --name 示例科技有限公司 --title 合同专用章 --dpi 300 --out "$tmp/seal.png"
"$bin/sealctl" sign --in "$tmp/采购合同.pdf" --out "$tmp/采购合同-已签.pdf" --cert "$tmp/cert.pem" --key "$tmp/key.pem" \
	--page 1 --rect 380,120,500,240 --image "$tmp/seal.png" --reason 盖章：合同专用章 >/dev/null
mkdir -p "$out"
GALLIUM_DRIVER=softpipe XDG_CONFIG_HOME="$tmp" xvfb-run -a -s "-screen 0 1366x768x24" \
	"$bin/sealdesk" --screenshots "$out" "$@" "$tmp/采购合同.pdf" "$tmp/采购合同-已签.pdf"
