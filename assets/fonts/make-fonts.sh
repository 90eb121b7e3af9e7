#!/usr/bin/env bash
# Regenerates the subset CJK fonts in assets/fonts from Debian's font packages (`make fonts`).
#
# Every face is cut down to GB2312 (all 7445 characters: 6763 hanzi plus its symbols, kana, Greek,
# Cyrillic), ASCII and Latin-1, general and CJK punctuation, full-width forms, arrows, circled
# numbers and check marks, so a face is ~2 MB instead of ~20 MB. Outlines stay CFF (OpenType .otf),
# which Fyne (go-text) and golang.org/x/image/font/opentype both read. Only the layout features we
# use are kept (kerning, ligatures, vertical forms for seals, proportional punctuation); `locl` would
# pull in the Japanese/Korean/traditional variants and double the size. Hints are dropped: neither
# rasteriser uses CFF hints.
#
# Needs: fonts-noto-cjk, fonts-noto-cjk-extra (not used by default; other weights), fonttools
# (pyftsubset), fontconfig (fc-query), python3 (only its gb2312 codec).
set -euo pipefail
cd "$(dirname "$0")"

NOTO=/usr/share/fonts/opentype/noto
for f in "$NOTO/NotoSansCJK-Regular.ttc" "$NOTO/NotoSansCJK-Bold.ttc" "$NOTO/NotoSerifCJK-Bold.ttc" \
         "$NOTO/NotoSerifCJK-Regular.ttc"; do
  [ -r "$f" ] || { echo "missing $f: apt-get install fonts-noto-cjk" >&2; exit 1; }
done
command -v pyftsubset >/dev/null || { echo "missing pyftsubset: apt-get install fonttools" >&2; exit 1; }

# The code points: every valid GB2312 byte pair decoded, plus the extra ranges.
unicodes=$(mktemp); trap 'rm -f "$unicodes"' EXIT
python3 - >"$unicodes" <<'PY'
cps = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))
for b1 in range(0xA1, 0xF8):
    for b2 in range(0xA1, 0xFF):
        try:
            cps.add(ord(bytes([b1, b2]).decode("gb2312")))
        except UnicodeDecodeError:
            pass
extra = [(0x2000, 0x206F), (0x2190, 0x21FF), (0x2460, 0x24FF), (0x2713, 0x2718), (0x25A0, 0x25FF),
         (0x3000, 0x303F), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF)]
for lo, hi in extra:
    cps.update(range(lo, hi + 1))
cps.update(ord(c) for c in "『』「」【】、。，：；！？（）《》〈〉—…·￥•※√×÷±°℃№")
print(",".join("U+%04X" % c for c in sorted(cps)))
PY

# index of the face called $2 inside the collection $1
face_index() {
  fc-query --format '%{index} %{fullname}\n' "$1" | awk -v want="$2" '{i=$1; $1=""; sub(/^ /,""); split($0,n,","); if (n[1]==want) print i}'
}

subset() { # collection, full face name, output
  local idx; idx=$(face_index "$1" "$2")
  [ -n "$idx" ] || { echo "face '$2' not found in $1" >&2; exit 1; }
  pyftsubset "$1" --font-number="$idx" --unicodes-file="$unicodes" \
    --layout-features='kern,liga,vert,vrt2,palt,halt' --no-hinting \
    --name-IDs='*' --name-languages='*' --notdef-outline --output-file="$3"
  echo "$3: face $idx of $(basename "$1"), $(stat -c %s "$3") bytes"
}

subset "$NOTO/NotoSansCJK-Regular.ttc" "Noto Sans CJK SC"          NotoSansSC-Regular-subset.otf
subset "$NOTO/NotoSansCJK-Bold.ttc"    "Noto Sans CJK SC Bold"     NotoSansSC-Bold-subset.otf
subset "$NOTO/NotoSerifCJK-Bold.ttc"   "Noto Serif CJK SC Bold"    NotoSerifSC-Bold-subset.otf
# FangSong stand-in: Debian has no free FangSong with simplified coverage (see ../doc.go).
subset "$NOTO/NotoSerifCJK-Regular.ttc" "Noto Serif CJK SC"        NotoSerifSC-Regular-subset.otf
