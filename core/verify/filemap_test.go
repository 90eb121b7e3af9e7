package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// TestMapFileSameReport: verifying through a memory map (Options.MapFile, sealctl) gives the
// report reading the file gives — valid, modified after signing, several signatures whose
// pages PDFium renders (its reads go through the guarded map reader) — and the report keeps no
// bytes of the released map: extracting a signed revision reads the file again.
func TestMapFileSameReport(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Options.MapFile maps files on Linux only; elsewhere it reads them as without it")
	}
	s := newSigner(t, pki.ECDSAP256)
	doc, _ := makeDoc(docOpts{emptySig: true})
	valid := s.sign(t, doc, sigOpts{field: "Sig1"})
	plain, _ := makeDoc(docOpts{})
	modified := update(t, s.sign(t, plain, sigOpts{}), func(u *pdf.Update, v *pdf.View) {
		p := pageOf(t, v)
		pd := p.Dict.Clone()
		pd["Resources"] = pdf.Dict{"Font": pdf.Dict{"F1": pdf.Ref{Num: 5}}}
		setObj(t, u, p.Ref, pd)
	})
	stacked := benchFile(t, s, 64<<10, false, 3, true)
	dir := t.TempDir()
	ctx := context.Background()
	for _, c := range []struct {
		name    string
		data    []byte
		verdict Verdict
		render  bool
	}{
		{"valid.pdf", valid, StatusValid, false},
		{"modified.pdf", modified, StatusModified, false},
		{"stacked.pdf", stacked, "", true},
	} {
		path := filepath.Join(dir, c.name)
		if err := os.WriteFile(path, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		opts := &Options{Trust: s.store(), Now: func() time.Time { return time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) }}
		read, err := File(ctx, path, opts)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		mopts := *opts
		mopts.MapFile = true
		mapped, err := File(ctx, path, &mopts)
		if err != nil {
			t.Fatalf("%s mapped: %v", c.name, err)
		}
		if c.verdict != "" && read.Verdict != c.verdict {
			t.Fatalf("%s: verdict %s, want %s: %s", c.name, read.Verdict, c.verdict, dump(read))
		}
		if c.render && mapped.CoverRendered == 0 {
			t.Fatalf("%s: no page was rendered, so PDFium's reads of the map are not tested: %s", c.name, dump(mapped))
		}
		if mapped.CoverRendered != read.CoverRendered || mapped.CoverProven != read.CoverProven {
			t.Fatalf("%s: cover check rendered %d/proved %d mapped, %d/%d read", c.name, mapped.CoverRendered, mapped.CoverProven, read.CoverRendered, read.CoverProven)
		}
		a, _ := json.Marshal(read)
		b, _ := json.Marshal(mapped)
		if !bytes.Equal(a, b) {
			t.Fatalf("%s: reports differ\nread:   %s\nmapped: %s", c.name, a, b)
		}
		if mapped.data != nil {
			t.Fatalf("%s: the mapped report keeps the released map's bytes", c.name)
		}
		out := filepath.Join(dir, c.name+".rev1")
		if err := ExtractRevision(path, mapped, 1, out); err != nil {
			t.Fatalf("%s: extract: %v", c.name, err)
		}
		got, err := os.ReadFile(out)
		if err != nil || int64(len(got)) != mapped.Signatures[0].SignedRange || !bytes.Equal(got, c.data[:len(got)]) {
			t.Fatalf("%s: extracted %d bytes (%v), signed range %d", c.name, len(got), err, mapped.Signatures[0].SignedRange)
		}
	}
}

// TestMapFileChangedWhileVerifying: a mapped file that another process truncates or rewrites
// while it is verified gives an error saying so — never a verdict on bytes that were half one
// file and half another, and never a crash (touching a truncated map's pages raises SIGBUS in
// whichever goroutine reads them).
func TestMapFileChangedWhileVerifying(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Options.MapFile maps files on Linux only")
	}
	s := newSigner(t, pki.ECDSAP256)
	signed := benchFile(t, s, 256<<10, false, 3, false)
	dir := t.TempDir()
	for _, c := range []struct {
		name   string
		change func(path string) error
	}{
		{"truncated", func(path string) error { return os.Truncate(path, 1000) }},
		{"rewritten", func(path string) error {
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteAt(bytes.Repeat([]byte{' '}, 4096), int64(len(signed)/2))
			return err
		}},
	} {
		path := filepath.Join(dir, c.name+".pdf")
		if err := os.WriteFile(path, signed, 0o644); err != nil {
			t.Fatal(err)
		}
		// An old modification time: the change made during the verification then shows in
		// it even where timestamps are coarser than the test is fast.
		old := time.Now().Add(-time.Hour)
		if err := os.Chtimes(path, old, old); err != nil {
			t.Fatal(err)
		}
		var changeErr error
		changed := false
		testHookSignature = func() {
			if !changed {
				changed = true
				changeErr = c.change(path)
			}
		}
		rep, err := File(context.Background(), path, &Options{Trust: s.store(), MapFile: true})
		testHookSignature = nil
		if changeErr != nil {
			t.Fatal(changeErr)
		}
		if !changed {
			t.Fatalf("%s: the change was never made", c.name)
		}
		if !errors.Is(err, errFileChanged) {
			t.Fatalf("%s: want errFileChanged, got %v (report %v)", c.name, err, rep)
		}
	}
}
