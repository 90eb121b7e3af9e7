package org

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"net/http"

	"sealdesk/core/gate"
)

// MaxDecodedImage bounds the memory the decoder of one uploaded image may allocate (ID photos,
// enterprise verification uploads, appeal letters, logos, seal images). It is judged from the
// image's header before any pixel is decoded: the side limits alone let a small file of 16-bit
// pixels (8 bytes each), an interlaced PNG or a progressive JPEG take several times as much.
const MaxDecodedImage = 100 << 20

// DecodedBytes estimates, from the header, how many bytes Go's decoder allocates for the pixels
// of data (PNG, JPEG, BMP) of configuration cfg: the image at its colour model's bytes per pixel;
// twice that for an interlaced PNG (each pass is decoded into an image of its own before the
// merge); plus 4 bytes per pixel and component for a progressive JPEG (its coefficients are kept
// until the last scan).
func DecodedBytes(cfg image.Config, data []byte) int64 {
	px := int64(cfg.Width) * int64(cfg.Height)
	if px <= 0 {
		return 0
	}
	var bpp, comps int64
	switch cfg.ColorModel {
	case color.GrayModel:
		bpp, comps = 1, 1
	case color.Gray16Model:
		bpp, comps = 2, 1
	case color.RGBAModel, color.NRGBAModel:
		bpp, comps = 4, 4
	case color.YCbCrModel:
		bpp, comps = 3, 3
	case color.CMYKModel:
		bpp, comps = 8, 4 // decoded as YCbCr plus black, then converted
	default:
		if _, ok := cfg.ColorModel.(color.Palette); ok {
			bpp, comps = 1, 1
		} else {
			bpp, comps = 8, 4 // 16-bit colour and anything unknown: the widest
		}
	}
	n := px * bpp
	switch {
	case interlacedPNG(data):
		n *= 2
	case progressiveJPEG(data):
		n += px * 4 * comps
	}
	return n
}

// interlacedPNG reports whether data is a PNG whose header says Adam7 interlacing.
func interlacedPNG(data []byte) bool {
	// signature (8), IHDR length and type (8), width, height, depth, colour type, compression,
	// filter (13 - 1): the interlace method is byte 28.
	return len(data) > 28 && bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) && string(data[12:16]) == "IHDR" && data[28] != 0
}

// progressiveJPEG reports whether data is a JPEG whose first frame header is progressive
// (SOF2, SOF6, SOF10 or SOF14), walking the marker segments before it.
func progressiveJPEG(data []byte) bool {
	if len(data) < 4 || data[0] != 0xff || data[1] != 0xd8 {
		return false
	}
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xff {
			return false
		}
		m := data[i+1]
		switch {
		case m == 0xff: // fill byte
			i++
			continue
		case m == 0xd8 || m == 0x01 || m >= 0xd0 && m <= 0xd7: // no length
			i += 2
			continue
		case m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc:
			return m == 0xc2 || m == 0xc6 || m == 0xca || m == 0xce
		case m == 0xda || m == 0xd9: // scan or end before any frame header
			return false
		}
		i += 2 + (int(data[i+2])<<8 | int(data[i+3]))
	}
	return false
}

// CheckDecodedSize refuses (400 image_too_large, naming the limit) an image whose decoding would
// allocate more than MaxDecodedImage (see DecodedBytes).
func CheckDecodedSize(cfg image.Config, data []byte) error {
	if n := DecodedBytes(cfg, data); n > MaxDecodedImage {
		return refuse(http.StatusBadRequest, "image_too_large", fmt.Sprintf(
			"图片解码后过大：%d×%d 像素约需 %d MB 内存，上限为 %d MB；请缩小图片，或另存为 8 位 PNG 或普通（非渐进式）JPEG",
			cfg.Width, cfg.Height, (n+(1<<20)-1)>>20, MaxDecodedImage>>20))
	}
	return nil
}

// DecodeGate is the gate every decode of an uploaded image goes through (the memory gate of the
// password hashes: both allocate much and take a CPU), so that however many uploads arrive at
// once, at most its slots decode; over it they answer 503 with Retry-After (gate.ErrBusy).
func (s *Service) DecodeGate() *gate.Gate { return s.gate() }

// decodeIn runs fn (a decode of an uploaded image) inside the decode gate.
func (s *Service) decodeIn(ctx context.Context, what string, fn func() error) error {
	release, err := s.gate().Enter(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer release()
	return fn()
}
