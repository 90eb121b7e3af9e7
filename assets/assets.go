// Package assets holds the data files the desktop app, the seal engine and the report writer share:
// subset CJK fonts and the application icon, embedded with go:embed.
//
// It is plain data: it imports nothing of ours and not Fyne, so the headless server and sealctl can
// draw seals and write reports with the same faces the desktop shows.
//
// # Fonts
//
// Every face is a subset (GB2312's 7445 characters, ASCII, Latin-1, general and CJK punctuation,
// full-width forms) of a Noto CJK SC face from Debian's fonts-noto-cjk, made by fonts/make-fonts.sh
// (`make fonts`). They are CFF-based OpenType; Fyne and golang.org/x/image/font/opentype read them.
// Licence: SIL Open Font License 1.1, fonts/OFL.txt.
//
//   - SansRegular, SansBold: Noto Sans CJK SC Regular and Bold, the user interface.
//   - SerifBold: Noto Serif CJK SC Bold, the Song (宋体) face of round seals.
//   - FangSong: the face of oval seals. Debian ships no free FangSong (仿宋) with simplified
//     coverage: cwTeX 仿宋 (fonts-cwtex-fs, GPL) is drawn for traditional Chinese and has only
//     4384 of GB2312's 6763 hanzi (missing 专, 东, 个, 为, 业, 们, 会 ...). Noto Serif CJK SC
//     Regular stands in: it covers all of GB2312, its light strokes are the nearest to a FangSong
//     weight among the free faces, and it carries the same licence as the others. A real FangSong
//     can replace it later without changing any caller.
//
// This package refuses nothing at run time; its tests check that every face parses and covers
// every GB2312 character, and that the icon is a square PNG.
package assets

import _ "embed"

var (
	//go:embed fonts/NotoSansSC-Regular-subset.otf
	SansRegular []byte
	//go:embed fonts/NotoSansSC-Bold-subset.otf
	SansBold []byte
	//go:embed fonts/NotoSerifSC-Bold-subset.otf
	SerifBold []byte
	//go:embed fonts/NotoSerifSC-Regular-subset.otf
	FangSong []byte

	// FontLicence is the SIL Open Font License text that covers every face above.
	//go:embed fonts/OFL.txt
	FontLicence string

	// Icon is the application icon, a 512×512 PNG: a red round seal with 签 in the middle.
	//go:embed icon.png
	Icon []byte
)
