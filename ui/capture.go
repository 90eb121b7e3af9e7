package ui

import (
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// CaptureWhenDrawn waits until the window shows drawn content (not one flat colour) and returns
// its image. Call it from a goroutine, never the UI goroutine: it hands the capture to the UI loop.
func CaptureWhenDrawn(w fyne.Window, timeout time.Duration) (image.Image, error) {
	deadline := time.Now().Add(timeout)
	for {
		var img image.Image
		fyne.DoAndWait(func() { img = w.Canvas().Capture() })
		img = opaque(img)
		if img != nil && !flat(img) {
			return img, nil
		}
		if time.Now().After(deadline) {
			return nil, errors.New("window drew nothing before the timeout")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// opaque copies img with every pixel made fully opaque. The GL driver reads the window's frame
// buffer, whose alpha channel is not meaningful (Mesa's software renderers leave it 0), while the
// window on screen is opaque.
func opaque(img image.Image) image.Image {
	if img == nil {
		return nil
	}
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			i := out.PixOffset(x-b.Min.X, y-b.Min.Y)
			out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = uint8(r>>8), uint8(g>>8), uint8(bb>>8), 0xFF
		}
	}
	return out
}

// flat reports whether img is empty or a single colour (sampled on a grid).
func flat(img image.Image) bool {
	b := img.Bounds()
	if b.Dx() < 2 || b.Dy() < 2 {
		return true
	}
	r0, g0, b0, a0 := img.At(b.Min.X, b.Min.Y).RGBA()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bb, a := img.At(x, y).RGBA()
			if r != r0 || g != g0 || bb != b0 || a != a0 {
				return false
			}
		}
	}
	return true
}

// WritePNG writes img to path through a temporary file in the same folder, synced and renamed.
func WritePNG(path string, img image.Image) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".shot-*.png")
	if err != nil {
		return fmt.Errorf("failed to create screenshot: %w", err)
	}
	tmp := f.Name()
	err = png.Encode(f, img)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("failed to write screenshot %s: %w", path, err)
	}
	return nil
}

// CaptureOptions say which screenshots CaptureScreens takes: every screen (and every tab of a
// screen with tabs) in each language, theme and window size.
type CaptureOptions struct {
	Langs  []string            // LangChinese, LangEnglish
	Themes []fyne.ThemeVariant // theme.VariantLight, theme.VariantDark
	Sizes  []fyne.Size         // window sizes, e.g. 1366×768 and 1024×640
	// Docs are opened in 文件 and both tabs of 发起签署; Signed are verified in 文件验签.
	Docs, Signed []string
}

// CaptureScreens writes dir/<lang>-<light|dark>-<W>x<H>-<place>[-<tab>].png for every screen,
// tab, language, theme and size of o; used by `make screenshots`. Call it from a goroutine.
func CaptureScreens(s *Shell, dir string, o *CaptureOptions) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("failed to create %s: %w", dir, err)
	}
	var written []string
	for _, lang := range o.Langs {
		for _, variant := range o.Themes {
			fyne.DoAndWait(func() {
				if s.Services.Settings != nil {
					s.Services.Settings.SetLanguage(lang)
				}
				SetLanguage(lang)
				s.App.Settings().SetTheme(NewThemeVariant(variant))
				s.Rebuild()
			})
			s.openForCapture(o)
			themeName := "light"
			if variant == theme.VariantDark {
				themeName = "dark"
			}
			for _, size := range o.Sizes {
				fyne.DoAndWait(func() { s.Window.Resize(size) })
				time.Sleep(400 * time.Millisecond)
				for _, n := range s.Places() {
					shots := []string{""}
					var tabs *container.AppTabs
					fyne.DoAndWait(func() {
						s.Show(n)
						if t, ok := s.screens[n].Content().(*container.AppTabs); ok {
							tabs = t
						} else if t, ok := s.screens[n].(interface{ Tabs() *container.AppTabs }); ok {
							tabs = t.Tabs()
						}
						if tabs != nil {
							shots = nil
							for i := range tabs.Items {
								shots = append(shots, fmt.Sprintf("%d", i+1))
							}
						}
					})
					for i, tab := range shots {
						if tabs != nil {
							fyne.DoAndWait(func() { tabs.SelectIndex(i) })
						}
						time.Sleep(700 * time.Millisecond) // let the frames after the switch be drawn
						img, err := CaptureWhenDrawn(s.Window, 5*time.Second)
						if err != nil {
							return written, err
						}
						name := fmt.Sprintf("%s-%s-%dx%d-%s", lang, themeName, int(size.Width), int(size.Height), n.Slug())
						if tab != "" {
							name += "-" + tab
						}
						path := filepath.Join(dir, name+".png")
						if err := WritePNG(path, img); err != nil {
							return written, err
						}
						written = append(written, path)
					}
				}
				// 文件验签's first signature shown on its page (查看位置): the page drawn (PDF or OFD,
				// the seal picture in place) with the highlight
				var shown bool
				fyne.DoAndWait(func() {
					if v, ok := s.screens[NavVerify].(*verifierScreen); ok && len(v.cards) > 0 && v.cards[0].showBtn != nil {
						s.Show(NavVerify)
						v.onShowOnPageTapped(v.cards[0])
						shown = true
					}
				})
				if shown {
					for t0 := time.Now(); time.Since(t0) < 15*time.Second; time.Sleep(100 * time.Millisecond) {
						var img image.Image
						fyne.DoAndWait(func() {
							if v, ok := s.screens[NavVerify].(*verifierScreen); ok && v.shownPage != nil {
								img, _ = v.shownPage.SlotImage(v.cards[0].sig.Page - 1)
							}
						})
						if img != nil {
							break
						}
					}
					time.Sleep(time.Second)
					img, err := CaptureWhenDrawn(s.Window, 5*time.Second)
					fyne.DoAndWait(func() {
						if v, ok := s.screens[NavVerify].(*verifierScreen); ok && v.shownDlg != nil {
							v.shownDlg.Hide()
						}
					})
					if err != nil {
						return written, err
					}
					path := filepath.Join(dir, fmt.Sprintf("%s-%s-%dx%d-verify-page.png", lang, themeName, int(size.Width), int(size.Height)))
					if err := WritePNG(path, img); err != nil {
						return written, err
					}
					written = append(written, path)
				}
				// the file dialog, as 文件验签's 选择文件… opens it
				var fp *filePicker
				fyne.DoAndWait(func() {
					s.Show(NavVerify)
					fp = s.chooseFiles(pdfExts, func([]string) {})
					if len(o.Docs) > 0 {
						fp.setDir(filepath.Dir(o.Docs[0]))
						fp.onRowTapped(len(fp.entries) - 1)
					}
				})
				time.Sleep(700 * time.Millisecond)
				img, err := CaptureWhenDrawn(s.Window, 5*time.Second)
				fyne.DoAndWait(func() { fp.dlg.Hide() })
				if err != nil {
					return written, err
				}
				path := filepath.Join(dir, fmt.Sprintf("%s-%s-%dx%d-filedialog.png", lang, themeName, int(size.Width), int(size.Height)))
				if err := WritePNG(path, img); err != nil {
					return written, err
				}
				written = append(written, path)
			}
		}
	}
	return written, nil
}

// openForCapture opens the documents of o in the screens that take them and waits (up to a
// while) until their pages and verification results are shown.
func (s *Shell) openForCapture(o *CaptureOptions) {
	fyne.DoAndWait(func() {
		if d, ok := s.screens[NavDocuments].(*DocumentsScreen); ok && len(o.Docs) > 0 {
			d.OpenFiles(o.Docs[:1])
		}
		if v, ok := s.screens[NavSend].(*sendScreen); ok && len(o.Docs) > 0 {
			v.place.OpenFiles(o.Docs[:1])
			v.sign.OpenFiles(o.Docs[:1])
			v.tabs.SelectIndex(0)
		}
		if v, ok := s.screens[NavVerify].(*verifierScreen); ok && len(o.Signed) > 0 {
			v.verifyFiles(o.Signed)
		}
	})
	for t0 := time.Now(); time.Since(t0) < 20*time.Second; time.Sleep(50 * time.Millisecond) {
		done := true
		fyne.DoAndWait(func() {
			if d, ok := s.screens[NavDocuments].(*DocumentsScreen); ok && len(o.Docs) > 0 {
				if img, _ := d.View.SlotImage(0); img == nil {
					done = false
				}
			}
			if v, ok := s.screens[NavVerify].(*verifierScreen); ok && len(o.Signed) > 0 && len(v.files) < len(o.Signed) {
				done = false
			}
		})
		if done {
			break
		}
	}
	time.Sleep(1500 * time.Millisecond) // the other views' page images and the card images
}
