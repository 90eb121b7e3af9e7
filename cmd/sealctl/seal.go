package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // photos to clean
	"io"
	"os"
	"path/filepath"

	"sealdesk/core/seal"
)

// runSeal draws a designed seal as a transparent PNG (`sealctl seal --style … --name … --out
// seal.png`), cleans a photo of a seal or signature (`sealctl seal clean --in photo.jpg --kind
// seal|signature --out clean.png`), or draws a hand-drawn signature from its strokes (`sealctl
// seal signature --in strokes.json --out sig.png`). Exit 0 done (warnings on stderr), 1 I/O
// failure, 2 bad input.
func runSeal(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "clean" {
		return runSealClean(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "signature" {
		return runSealSignature(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("sealctl seal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	style := fs.String("style", "official", "official|contract|special|department|league|union|foreign|invoice|finance")
	name := fs.String("name", "", "enterprise name along the upper arc (required)")
	title := fs.String("title", "", "horizontal title (required for special and department)")
	code := fs.String("code", "", "信息编码 along the lower arc; for invoice the taxpayer number across the middle")
	size := fs.String("size", "", "42 (round, mm), 40x30 (oval), 22 (square); default depends on the style")
	dpi := fs.Float64("dpi", seal.DefaultDPI, "resolution of the PNG")
	noStar := fs.Bool("no-star", false, "leave the centre empty")
	out := fs.String("out", "", "output PNG (required)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sealctl seal --style STYLE --name NAME [--title T] [--code C] [--size S] [--dpi 600] [--no-star] --out seal.png\n       sealctl seal clean --in photo.jpg --kind seal|signature [--recolor] --out clean.png\n       sealctl seal signature --in strokes.json [--dpi 600] [--crop] --out sig.png")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || *out == "" || *name == "" {
		fs.Usage()
		return 2
	}
	st, err := seal.ParseStyle(*style)
	if err != nil {
		fmt.Fprintln(stderr, "sealctl seal:", err)
		return 2
	}
	spec := seal.Spec{Style: st, Name: *name, Title: *title, Code: *code, NoStar: *noStar}
	if *size != "" {
		if spec.Size, err = seal.ParseSize(*size); err != nil {
			fmt.Fprintln(stderr, "sealctl seal:", err)
			return 2
		}
	}
	img, warns, err := seal.Render(spec, *dpi)
	if err != nil {
		fmt.Fprintln(stderr, "sealctl seal:", err)
		if errors.Is(err, seal.ErrInvalidSpec) {
			return 2
		}
		return 1
	}
	for _, w := range warns {
		fmt.Fprintln(stderr, "sealctl seal: warning:", w.Message)
	}
	if err := writeSealPNG(*out, img, *dpi); err != nil {
		fmt.Fprintln(stderr, "sealctl seal:", err)
		return 1
	}
	b := img.Bounds()
	fmt.Fprintf(stdout, "%s: %d×%d px\n", *out, b.Dx(), b.Dy())
	return 0
}

func runSealClean(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sealctl seal clean", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "", "photo or scan (JPEG or PNG)")
	kind := fs.String("kind", "seal", "seal (red ink) or signature (dark ink)")
	out := fs.String("out", "", "output PNG")
	recolor := fs.Bool("recolor", false, "paint the kept ink uniformly (seal red, or black for a signature)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || *in == "" || *out == "" {
		fmt.Fprintln(stderr, "usage: sealctl seal clean --in photo.jpg --kind seal|signature [--recolor] --out clean.png")
		return 2
	}
	k, err := seal.ParseInkKind(*kind)
	if err != nil {
		fmt.Fprintln(stderr, "sealctl seal clean:", err)
		return 2
	}
	const maxPhotoBytes = 200 << 20
	if st, err := os.Stat(*in); err != nil {
		fmt.Fprintln(stderr, "sealctl seal clean:", err)
		return 1
	} else if st.Size() > maxPhotoBytes {
		fmt.Fprintf(stderr, "sealctl seal clean: %s is %d bytes, more than the %d allowed\n", *in, st.Size(), maxPhotoBytes)
		return 2
	}
	data, err := os.ReadFile(*in)
	if err != nil {
		fmt.Fprintln(stderr, "sealctl seal clean:", err)
		return 1
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		fmt.Fprintf(stderr, "sealctl seal clean: %s is not a JPEG or PNG image: %v\n", *in, err)
		return 2
	}
	if cfg.Width*cfg.Height > seal.MaxCleanPixels {
		fmt.Fprintf(stderr, "sealctl seal clean: %s is %d×%d, more than the %d pixels allowed\n", *in, cfg.Width, cfg.Height, seal.MaxCleanPixels)
		return 2
	}
	src, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		fmt.Fprintf(stderr, "sealctl seal clean: failed to decode %s: %v\n", *in, err)
		return 2
	}
	opts := seal.CleanOptions{Orientation: seal.JPEGOrientation(data)} // phones record the turn
	if *recolor {
		opts.Recolor = seal.SealRed
		if k == seal.InkSignature {
			opts.Recolor = color.NRGBA{A: 0xFF}
		}
	}
	img, _, err := seal.Clean(src, k, &opts)
	if err != nil {
		fmt.Fprintln(stderr, "sealctl seal clean:", err)
		return 2
	}
	if err := writeSealPNG(*out, img, 0); err != nil {
		fmt.Fprintln(stderr, "sealctl seal clean:", err)
		return 1
	}
	b := img.Bounds()
	fmt.Fprintf(stdout, "%s: %d×%d px\n", *out, b.Dx(), b.Dy())
	return 0
}

func runSealSignature(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sealctl seal signature", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "", "strokes JSON (the format of seal.Signature)")
	dpi := fs.Float64("dpi", seal.DefaultDPI, "resolution of the PNG")
	crop := fs.Bool("crop", false, "trim the pad to the ink plus 1 mm")
	out := fs.String("out", "", "output PNG")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || *in == "" || *out == "" {
		fmt.Fprintln(stderr, "usage: sealctl seal signature --in strokes.json [--dpi 600] [--crop] --out sig.png")
		return 2
	}
	st, err := os.Stat(*in)
	if err != nil {
		fmt.Fprintln(stderr, "sealctl seal signature:", err)
		return 1
	}
	if st.Size() > seal.MaxSignatureJSON {
		fmt.Fprintf(stderr, "sealctl seal signature: %s is %d bytes, more than the %d allowed\n", *in, st.Size(), seal.MaxSignatureJSON)
		return 2
	}
	data, err := os.ReadFile(*in)
	if err != nil {
		fmt.Fprintln(stderr, "sealctl seal signature:", err)
		return 1
	}
	sig, err := seal.ParseSignature(data)
	if err != nil {
		fmt.Fprintln(stderr, "sealctl seal signature:", err)
		return 2
	}
	d, err := sig.Drawing(color.NRGBA{})
	if err != nil {
		fmt.Fprintln(stderr, "sealctl seal signature:", err)
		return 2
	}
	if *crop {
		d = d.Crop(1)
	}
	img, err := d.Rasterize(*dpi)
	if err != nil {
		fmt.Fprintln(stderr, "sealctl seal signature:", err)
		return 2
	}
	if err := writeSealPNG(*out, img, *dpi); err != nil {
		fmt.Fprintln(stderr, "sealctl seal signature:", err)
		return 1
	}
	b := img.Bounds()
	fmt.Fprintf(stdout, "%s: %d×%d px\n", *out, b.Dx(), b.Dy())
	return 0
}

// writeSealPNG writes img (with its dpi recorded when dpi > 0) to a temporary file beside path,
// fsyncs it and renames it into place.
func writeSealPNG(path string, img image.Image, dpi float64) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".sealctl-*.png")
	if err != nil {
		return fmt.Errorf("failed to create output: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := seal.EncodePNG(tmp, img, dpi); err != nil {
		tmp.Close()
		return fmt.Errorf("failed to encode PNG: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("failed to sync output: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("failed to close output: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("failed to rename output into place: %w", err)
	}
	return nil
}
