package seal

import (
	_ "embed"

	"sealdesk/assets"
)

// latinTTF is Liberation Sans Regular subset to ASCII and renamed "SealDesk Latin" (see
// fonts/OFL.txt): the Arial-like face for digits and Latin letters.
//
//go:embed fonts/SealDeskLatin-Regular.ttf
var latinTTF []byte

// songData is the Song (宋体) face of round and square seals.
func songData() []byte { return assets.SerifBold }

// fangsongData is the face of oval seals: FangSong, or the face assets has standing in for it.
func fangsongData() []byte { return assets.FangSong }

// heiData is the sans-serif (黑体) face a user may pick instead.
func heiData() []byte { return assets.SansBold }
