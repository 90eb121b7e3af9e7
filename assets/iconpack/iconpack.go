// Package iconpack turns the application icon (assets/icon.png, named in FyneApp.toml) into the
// icon containers the installers need: a Windows .ico for the MSI's shortcut and the .exe's
// resources, and a macOS .icns for the app bundle. Both hold PNG-compressed images (Windows Vista
// and later, macOS 10.7 and later read them), scaled with a fixed filter, so the same PNG always
// gives the same bytes: the outputs can be generated at build time instead of committed.
//
// It refuses sources that are not square or smaller than the largest size asked for (scaling up
// would blur the icon without anyone noticing).
package iconpack

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/png"

	"golang.org/x/image/draw"
)

// ICOSizes are the images of a Windows icon: Explorer's small and large views, the Start menu and
// the taskbar at 100–200 % scaling.
var ICOSizes = []int{16, 24, 32, 48, 64, 128, 256}

// icnsTypes maps an image size to the ICNS element type that holds it as PNG.
var icnsTypes = []struct {
	typ  string
	size int
}{
	{"icp4", 16}, {"icp5", 32}, {"icp6", 64}, {"ic07", 128}, {"ic08", 256}, {"ic09", 512},
	{"ic11", 32}, {"ic12", 64}, {"ic13", 256}, {"ic14", 512},
}

// scaled returns src scaled to n×n pixels as PNG bytes.
func scaled(src image.Image, n int) ([]byte, error) {
	dst := image.NewNRGBA(image.Rect(0, 0, n, n))
	if src.Bounds().Dx() == n && src.Bounds().Dy() == n {
		draw.Draw(dst, dst.Bounds(), src, src.Bounds().Min, draw.Src)
	} else {
		draw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	}
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&b, dst); err != nil {
		return nil, fmt.Errorf("failed to encode the %d px icon: %w", n, err)
	}
	return b.Bytes(), nil
}

func check(src image.Image, largest int) error {
	b := src.Bounds()
	if b.Dx() != b.Dy() {
		return fmt.Errorf("icon is %d×%d px: it must be square", b.Dx(), b.Dy())
	}
	if b.Dx() < largest {
		return fmt.Errorf("icon is %d px wide: at least %d px are needed", b.Dx(), largest)
	}
	return nil
}

// ICO encodes src as a Windows icon with an image of each of ICOSizes.
func ICO(src image.Image) ([]byte, error) {
	if err := check(src, ICOSizes[len(ICOSizes)-1]); err != nil {
		return nil, err
	}
	var imgs [][]byte
	for _, n := range ICOSizes {
		p, err := scaled(src, n)
		if err != nil {
			return nil, err
		}
		imgs = append(imgs, p)
	}
	var out bytes.Buffer
	// ICONDIR: reserved, type 1 (icon), count
	binary.Write(&out, binary.LittleEndian, [3]uint16{0, 1, uint16(len(imgs))})
	off := 6 + 16*len(imgs)
	for i, n := range ICOSizes {
		wh := byte(n)
		if n >= 256 {
			wh = 0 // 0 means 256
		}
		// ICONDIRENTRY: width, height, colours, reserved, planes, bit count, bytes, offset
		out.Write([]byte{wh, wh, 0, 0})
		binary.Write(&out, binary.LittleEndian, [2]uint16{1, 32})
		binary.Write(&out, binary.LittleEndian, [2]uint32{uint32(len(imgs[i])), uint32(off)})
		off += len(imgs[i])
	}
	for _, p := range imgs {
		out.Write(p)
	}
	return out.Bytes(), nil
}

// ICNS encodes src as a macOS icon family with PNG elements from 16 to 512 px (and their @2x
// variants up to 512@1x; a 1024 px ic10 is added when the source has 1024 px).
func ICNS(src image.Image) ([]byte, error) {
	if err := check(src, 512); err != nil {
		return nil, err
	}
	types := icnsTypes
	if src.Bounds().Dx() >= 1024 {
		types = append(types, struct {
			typ  string
			size int
		}{"ic10", 1024})
	}
	var body bytes.Buffer
	for _, t := range types {
		p, err := scaled(src, t.size)
		if err != nil {
			return nil, err
		}
		body.WriteString(t.typ)
		binary.Write(&body, binary.BigEndian, uint32(8+len(p)))
		body.Write(p)
	}
	var out bytes.Buffer
	out.WriteString("icns")
	binary.Write(&out, binary.BigEndian, uint32(8+body.Len()))
	out.Write(body.Bytes())
	return out.Bytes(), nil
}
