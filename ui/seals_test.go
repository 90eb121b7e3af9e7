package ui

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"sealdesk/core/seal"
)

// memLibrary is an in-memory SealLibrary.
type memLibrary struct {
	mu       sync.Mutex
	items    []LibraryItem
	n        int
	watchers []func()
}

func (l *memLibrary) Items() ([]LibraryItem, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]LibraryItem(nil), l.items...), nil
}
func (l *memLibrary) Save(it LibraryItem) (LibraryItem, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n++
	it.ID, it.Created = fmt.Sprint(l.n), time.Unix(int64(l.n), 0)
	l.items = append(l.items, it)
	l.mu.Unlock()
	l.changed()
	l.mu.Lock() // for the deferred unlock
	return it, nil
}

// Watch implements SealLibrary: f hears of every change, as store/desktop's watchers do.
func (l *memLibrary) Watch(f func()) func() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.watchers = append(l.watchers, f)
	i := len(l.watchers) - 1
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.watchers[i] = nil
	}
}

func (l *memLibrary) changed() {
	l.mu.Lock()
	ws := append([]func(){}, l.watchers...)
	l.mu.Unlock()
	for _, f := range ws {
		if f != nil {
			f()
		}
	}
}
func (l *memLibrary) Delete(id string) error {
	l.mu.Lock()
	for i, it := range l.items {
		if it.ID == id {
			l.items = append(l.items[:i], l.items[i+1:]...)
			l.mu.Unlock()
			l.changed()
			return nil
		}
	}
	l.mu.Unlock()
	return fmt.Errorf("no item %s", id)
}

func newSealsTest(t *testing.T) (*sealsScreen, *memLibrary, fyne.Window) {
	t.Helper()
	lib := &memLibrary{}
	s, w := newLocalShell(t, &LocalServices{Prefs: &memPrefs{}, Library: lib})
	s.Show(NavSeals)
	v := s.Screen(NavSeals).(*sealsScreen)
	v.deferUpdatesForTest()
	return v, lib, w
}

// waitPreview waits for the pending renders, applies them on the test's goroutine and checks that
// the preview of the form as it is now is shown (the render of the newest input applied; more
// than n renders in all); it returns the number of renders.
func (v *sealsScreen) waitPreview(t *testing.T, n int) int {
	t.Helper()
	v.wait()
	v.mu.Lock()
	got, applied, seq := v.previews, v.applied, v.seq
	v.mu.Unlock()
	if got <= n || applied != seq {
		t.Fatalf("the preview did not update (%d renders applied, want more than %d; shows input %d of %d)", got, n, applied, seq)
	}
	return got
}

func TestSealDesignerLivePreview(t *testing.T) {
	v, lib, _ := newSealsTest(t)
	v.tabs.SelectIndex(1)
	n := v.waitPreview(t, -1)
	if v.preview.Image != nil || !v.nameErr.Visible() || v.saveBtn.Disabled() == false {
		t.Fatal("an empty name should show no seal and ask for the name")
	}

	test.Type(v.name, "北京示例科技有限公司")
	n = v.waitPreview(t, n)
	img1, ok := v.preview.Image.(*image.NRGBA)
	if !ok || img1 == nil {
		t.Fatalf("no preview after typing a name (name error %q, form %q)", v.nameErr.Text, v.formErr.Text)
	}
	if v.nameErr.Visible() || v.saveBtn.Disabled() {
		t.Fatalf("valid name shows error %q", v.nameErr.Text)
	}
	if !hasRed(img1) {
		t.Fatal("preview has no seal-red pixels")
	}

	// Typing more changes the picture (a debounced render off the UI goroutine).
	test.Type(v.title, "合同专用章")
	n = v.waitPreview(t, n)
	img2, _ := v.preview.Image.(*image.NRGBA)
	if img2 == nil || bytes.Equal(img1.Pix, img2.Pix) {
		t.Fatal("preview did not change with the title")
	}

	// A credit code with a wrong check character: drawn, with a warning under the code.
	test.Type(v.code, "91110108MA01ABCDE0")
	n = v.waitPreview(t, n)
	if !v.codeErr.Visible() || !strings.Contains(v.codeErr.Text, "校验位") || v.preview.Image == nil {
		t.Fatalf("credit code warning %q (visible %v)", v.codeErr.Text, v.codeErr.Visible())
	}
	v.code.SetText("")
	n = v.waitPreview(t, n)

	// A name too long for Ø40: refused inline, with the maximum.
	v.name.SetText(strings.Repeat("长", 60))
	n = v.waitPreview(t, n)
	if !v.nameErr.Visible() || !strings.Contains(v.nameErr.Text, "最多") || v.preview.Image != nil || !v.saveBtn.Disabled() {
		t.Fatalf("too long name: %q", v.nameErr.Text)
	}

	// A character the seal font lacks is named.
	v.name.SetText("北京示例科技有限公司😀")
	n = v.waitPreview(t, n)
	if !v.nameErr.Visible() || !strings.Contains(v.nameErr.Text, "😀") {
		t.Fatalf("missing glyph: %q", v.nameErr.Text)
	}

	// Save a valid seal to 我的印章.
	v.name.SetText("北京示例科技有限公司")
	v.waitPreview(t, n)
	test.Tap(v.saveBtn)
	v.wait()
	items, _ := lib.Items()
	if len(items) != 1 || items[0].Kind != ItemDesignedSeal || items[0].WidthMM != 40 || !strings.Contains(string(items[0].Spec), "contract") && !strings.Contains(string(items[0].Spec), "official") {
		t.Fatalf("saved %+v", items)
	}
	img, err := png.Decode(bytes.NewReader(items[0].PNG))
	if err != nil || img.Bounds().Dx() < 900 {
		t.Fatalf("saved png: %v %v", err, img.Bounds())
	}
	if len(v.list.Objects) != 1 {
		t.Fatalf("library shows %d items", len(v.list.Objects))
	}
}

func hasRed(img *image.NRGBA) bool {
	for i := 0; i+3 < len(img.Pix); i += 4 {
		if img.Pix[i+3] > 200 && img.Pix[i] > 150 && img.Pix[i+1] < 80 {
			return true
		}
	}
	return false
}

func TestSealStyleChangesSizes(t *testing.T) {
	v, _, _ := newSealsTest(t)
	v.style.SetSelected(seal.Invoice.Chinese())
	if len(v.size.Options) != 1 || !strings.Contains(v.size.Selected, "40×30") {
		t.Fatalf("invoice sizes %v selected %q", v.size.Options, v.size.Selected)
	}
	v.name.SetText("示例商贸有限公司")
	v.waitPreview(t, 0)
	if !v.codeErr.Visible() || !strings.Contains(v.codeErr.Text, "纳税人识别号") {
		t.Fatalf("invoice without code: %q", v.codeErr.Text)
	}
	v.style.SetSelected(seal.Finance.Chinese())
	if len(v.size.Options) != 6 {
		t.Fatalf("finance sizes %v", v.size.Options)
	}
}

func TestSignaturePadSaves(t *testing.T) {
	v, lib, w := newSealsTest(t)
	v.tabs.SelectIndex(3)
	w.Resize(fyne.NewSize(1100, 760))
	if !v.padSave.Disabled() {
		t.Fatal("save enabled on an empty pad")
	}
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(v.pad)
	sz := v.pad.Size()
	test.Drag(w.Canvas(), pos.Add(fyne.NewPos(sz.Width*0.6, sz.Height*0.5)), sz.Width*0.4, 10)
	test.Drag(w.Canvas(), pos.Add(fyne.NewPos(sz.Width*0.7, sz.Height*0.7)), 20, sz.Height*0.3)
	if v.pad.Strokes() != 2 || v.padSave.Disabled() {
		t.Fatalf("strokes %d", v.pad.Strokes())
	}
	test.Tap(v.undoBtn)
	if v.pad.Strokes() != 1 {
		t.Fatal("undo")
	}
	test.Type(v.padName, "张三签名")
	test.Tap(v.padSave)
	items, _ := lib.Items()
	if len(items) != 1 || items[0].Kind != ItemSignatureDraw || items[0].Name != "张三签名" {
		t.Fatalf("saved %+v", items)
	}
	sig, err := seal.ParseSignature(items[0].Strokes)
	if err != nil || len(sig.Strokes) != 1 || sig.Width != 80 {
		t.Fatalf("stored strokes %v %+v", err, sig)
	}
	test.Tap(v.clrBtn)
	if v.pad.Strokes() != 0 || !v.padSave.Disabled() {
		t.Fatal("clear")
	}
}

// stampPhoto writes a JPEG "photo" of a red ring with a red bar on off-white paper.
func stampPhoto(t *testing.T) string {
	img := image.NewRGBA(image.Rect(0, 0, 400, 300))
	for y := 0; y < 300; y++ {
		for x := 0; x < 400; x++ {
			c := color.RGBA{238, 232, 220, 255}
			dx, dy := float64(x-200), float64(y-150)
			r2 := dx*dx + dy*dy
			if (r2 > 90*90 && r2 < 100*100) || (y > 140 && y < 160 && x > 140 && x < 260) {
				c = color.RGBA{200, 30, 40, 255}
			}
			img.Set(x, y, c)
		}
	}
	path := filepath.Join(t.TempDir(), "stamp.jpg")
	f, _ := os.Create(path)
	defer f.Close()
	if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSealUploadCleansAndSaves(t *testing.T) {
	v, lib, _ := newSealsTest(t)
	v.tabs.SelectIndex(2)
	v.uploadFile(stampPhoto(t))
	v.wait()
	if v.acceptBtn.Disabled() || v.cleaned.Image == nil || v.original.Image == nil {
		t.Fatalf("after cleaning: %q", v.uploadMsg.Text)
	}
	b := v.cleaned.Image.Bounds()
	if b.Dx() > 260 || b.Dx() < 190 {
		t.Fatalf("cleaned image not cropped to the ink: %v", b)
	}
	test.Tap(v.acceptBtn)
	items, _ := lib.Items()
	if len(items) != 1 || items[0].Kind != ItemUploadedSeal || items[0].WidthMM != 40 || len(items[0].Original) == 0 {
		t.Fatalf("saved %+v", items)
	}

	// Not an image: a clear message, nothing saved.
	notImage := filepath.Join(t.TempDir(), "x.png")
	os.WriteFile(notImage, []byte("%PDF-1.7 not an image"), 0o600)
	v.uploadFile(notImage)
	v.wait()
	if !v.acceptBtn.Disabled() || v.uploadMsg.Text != "只能上传 PNG 或 JPEG 图片。" {
		t.Fatalf("non-image: %q", v.uploadMsg.Text)
	}
	if items, _ := lib.Items(); len(items) != 1 {
		t.Fatal("a failed upload saved something")
	}
}

func init() {
	shotHooks = append(shotHooks, func(t *testing.T, s *Shell, w fyne.Window, shot func(string, fyne.Window)) {
		lib := &memLibrary{}
		s.Services.Local.Library = lib
		s.Rebuild()
		s.Show(NavSeals)
		v := s.Screen(NavSeals).(*sealsScreen)
		v.deferUpdatesForTest()
		v.tabs.SelectIndex(1)
		v.style.SetSelected(seal.Contract.Chinese())
		v.name.SetText("北京示例科技有限公司")
		v.code.SetText("91110108MA01ABCDE0")
		v.waitPreview(t, 0)
		shot("seals-design", w)
		test.Tap(v.saveBtn)
		v.wait()
		v.tabs.SelectIndex(2)
		v.uploadFile(stampPhoto(t))
		v.wait()
		shot("seals-upload", w)
		test.Tap(v.acceptBtn)
		v.tabs.SelectIndex(3)
		pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(v.pad)
		sz := v.pad.Size()
		for i := 0; i < 6; i++ {
			x := sz.Width * (0.15 + 0.12*float32(i))
			test.Drag(w.Canvas(), pos.Add(fyne.NewPos(x+40, sz.Height*0.35+float32(i%2)*30)), 40, -30+float32(i%3)*20)
		}
		shot("seals-draw", w)
		test.Tap(v.padSave)
		v.tabs.SelectIndex(0)
		shot("seals-library", w)
	})
}

func FuzzDecodeUpload(f *testing.F) {
	var pngB, jpgB bytes.Buffer
	img := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	png.Encode(&pngB, img)
	jpeg.Encode(&jpgB, img, nil)
	f.Add(pngB.Bytes())
	f.Add(jpgB.Bytes())
	f.Add([]byte("GIF89a\x01\x00\x01\x00"))
	// A PNG header claiming 100000×100000 pixels: refused before decoding.
	huge := append([]byte(nil), pngB.Bytes()...)
	copy(huge[16:24], []byte{0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0})
	f.Add(huge)
	f.Fuzz(func(t *testing.T, b []byte) {
		img, err := decodeUpload(b)
		if err != nil {
			if !errors.Is(err, errNotAnImage) && !errors.Is(err, errUploadTooBig) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if r := img.Bounds(); r.Dx()*r.Dy() > seal.MaxCleanPixels {
			t.Fatalf("decoded %v beyond the limit", r)
		}
	})
}
