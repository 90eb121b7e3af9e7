package ofd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedFiles returns the OFD samples of ../shared/ofd (required under SEALDESK_CI).
func sharedFiles(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob("../../../shared/ofd/files/*.ofd")
	if len(files) == 0 {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatal("../shared/ofd/files is missing (required under SEALDESK_CI)")
		}
		t.Skip("../shared/ofd/files not present: the OFD corpus tests need the shared test data")
	}
	return files
}

func openFile(t *testing.T, path string) (*Package, error) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return Open(context.Background(), bytes.NewReader(b), int64(len(b)), nil)
}

// Every sample opens; signed ones list their signatures with the exact Signature.xml bytes,
// the relative BaseLoc of 999.ofd and the SignValue.dat name of the dianju file are resolved.
func TestCorpus(t *testing.T) {
	for _, f := range sharedFiles(t) {
		name := filepath.Base(f)
		p, err := openFile(t, f)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		nsig := 0
		for _, d := range p.Documents {
			if d.Err != nil {
				t.Errorf("%s: document: %v", name, d.Err)
			}
			if len(d.Pages) == 0 {
				t.Errorf("%s: no pages", name)
			}
			for _, s := range d.Signatures {
				nsig++
				if s.Err != nil && !strings.Contains(name, "tampered") {
					t.Errorf("%s: signature %s: %v", name, s.ID, s.Err)
				}
				stored, _ := p.Part(s.Loc)
				if !bytes.Equal(stored, s.XML) || len(s.XML) == 0 {
					t.Errorf("%s: Signature.xml bytes not kept", name)
				}
				if _, ok := p.Part(s.ValueLoc); !ok {
					t.Errorf("%s: signed value %q not found", name, s.ValueLoc)
				}
				if len(s.Info.References) == 0 {
					t.Errorf("%s: no references", name)
				}
			}
		}
		switch {
		case strings.HasPrefix(name, "ofd-unsigned"):
			if p.Signed() || nsig != 0 {
				t.Errorf("%s: unsigned file reads as signed", name)
			}
		case strings.Contains(name, "integrity"):
			if p.Entries == nil || p.Entries.Err != nil || len(p.Entries.Files) == 0 || p.Entries.ValueLoc != "signedvalue.dat" {
				t.Errorf("%s: integrity list %+v", name, p.Entries)
			}
		default:
			if nsig == 0 {
				t.Errorf("%s: no signatures found", name)
			}
		}
		if strings.Contains(name, "dianju") {
			if s := p.Documents[0].Signatures[0]; !strings.HasSuffix(s.ValueLoc, "SignValue.dat") {
				t.Errorf("%s: value %s", name, s.ValueLoc)
			}
		}
		if strings.Contains(name, "riding-stamp") {
			if n := len(p.Documents[0].Signatures[0].Info.StampAnnots); n != 5 {
				t.Errorf("%s: %d StampAnnots, want 5", name, n)
			}
		}
	}
}
