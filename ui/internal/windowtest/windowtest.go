// Package windowtest holds what the real-window test packages (ui/internal/…: journey,
// responsive, realwindow, adminwindow, apikeywindow, keyswindow, updatewin, enterprisewin) share:
// their TestMain (Main: the app on the main goroutine, the tests beside it), the rule and helpers
// for working on the UI goroutine (Do, WaitUI: no t.Fatal there), a --dev server's accounts
// (Register, Code), in-memory stand-ins for the desktop's settings, connection, preferences and
// key store, a signature image and the blank-picture check.
//
// It is imported by tests only; nothing of the product links it.
package windowtest

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"maps"
	"math"
	"os"
	"slices"
	"sync"

	"sealdesk/core/keystore"
)

// RequireDisplay ends the test binary when there is no X display: a failure under SEALDESK_CI
// (CI runs these tests under xvfb-run), a named skip otherwise.
func RequireDisplay() {
	if os.Getenv("DISPLAY") != "" {
		return
	}
	if os.Getenv("SEALDESK_CI") != "" {
		fmt.Println("FAIL: real-window tests need a display; run under xvfb-run")
		os.Exit(1)
	}
	fmt.Println("skipping real-window tests: no DISPLAY (make test runs them under xvfb-run)")
	os.Exit(0)
}

// Prefs is an in-memory ui.Prefs.
type Prefs struct {
	mu sync.Mutex
	m  map[string]string
}

// NewPrefs returns empty preferences.
func NewPrefs() *Prefs { return &Prefs{m: map[string]string{}} }

func (p *Prefs) Setting(k string) (string, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.m[k]
	return v, ok, nil
}

func (p *Prefs) SetSetting(k, v string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.m[k] = v
	return nil
}

// Keys is an in-memory keystore.Store.
type Keys struct {
	mu sync.Mutex
	m  map[string][]byte
}

var _ keystore.Store = (*Keys)(nil)

// NewKeys returns an empty key store.
func NewKeys() *Keys { return &Keys{m: map[string][]byte{}} }

func (s *Keys) GetKey(id string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[id]
	if !ok {
		return nil, keystore.ErrNotFound
	}
	return bytes.Clone(b), nil
}

func (s *Keys) PutKey(id string, b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[id] = bytes.Clone(b)
	return nil
}

func (s *Keys) ListKeys() ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.m)), nil
}

func (s *Keys) DeleteKey(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
	return nil
}

// SignatureImage is a 600×240 PNG of a dark wave, a stand-in handwritten signature.
func SignatureImage() []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 600, 240))
	for x := 40; x < 560; x++ {
		for d := 0; d < 6; d++ {
			img.Set(x, 120+int(60*math.Sin(float64(x)/40))+d, color.NRGBA{0x10, 0x10, 0x10, 0xff})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}
