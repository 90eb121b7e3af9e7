//go:build ignore

// mkicons writes the Windows and macOS icons made from the icon FyneApp.toml names:
//
//	go run ./assets/iconpack/mkicons.go -ico build/windows/sealdesk.ico -icns build/macos/icon.icns
//
// (run from the repository root; `make windows` and `make macos` do).
package main

import (
	"flag"
	"image/png"
	"log"
	"os"
	"path/filepath"

	"sealdesk/assets/iconpack"
)

func main() {
	src := flag.String("src", "assets/icon.png", "the square PNG icon")
	ico := flag.String("ico", "", "write a Windows .ico here")
	icns := flag.String("icns", "", "write a macOS .icns here")
	flag.Parse()
	f, err := os.Open(*src)
	if err != nil {
		log.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		log.Fatalf("%s: %v", *src, err)
	}
	write := func(path string, b []byte, err error) {
		if path == "" {
			return
		}
		if err != nil {
			log.Fatalf("%s: %v", path, err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	if *ico != "" {
		b, err := iconpack.ICO(img)
		write(*ico, b, err)
	}
	if *icns != "" {
		b, err := iconpack.ICNS(img)
		write(*icns, b, err)
	}
}
