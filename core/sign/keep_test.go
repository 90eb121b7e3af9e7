package sign

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestNoSaveDropsSignatures: signing (or adding fields to) a document into a file that already
// holds signatures the result would not contain is refused with *DropsSignaturesError and leaves
// that file as it was; building on the file itself (out = the signed file) is allowed, and a
// file without signatures may be replaced.
func TestNoSaveDropsSignatures(t *testing.T) {
	e := newEnv(t)
	orig := e.write("contract.pdf", genPDF(genOpts{pages: 1, sigFields: []string{"a", "b"}}))
	signed := filepath.Join(e.dir, "contract-signed.pdf")
	o := e.opts("张三")
	o.Field = "a"
	if _, err := SignFile(context.Background(), orig, signed, o); err != nil {
		t.Fatal(err)
	}
	before := fileSum(t, signed)

	// The lost-signature journey: box b signed from the unsigned original over the signed file.
	o = e.opts("李四")
	o.Field = "b"
	_, err := SignFile(context.Background(), orig, signed, o)
	var drop *DropsSignaturesError
	if !errors.As(err, &drop) || !errors.Is(err, ErrDropsSignatures) || drop.Held != 1 || drop.Missing != 1 || drop.Path != signed {
		t.Fatalf("signing the original over the signed file: %v", err)
	}
	if fileSum(t, signed) != before {
		t.Fatal("the signed file changed")
	}
	assertNoPartials(t, e.dir)
	if err := CheckReplace(orig, signed); !errors.As(err, &drop) {
		t.Fatalf("CheckReplace(original, signed) = %v", err)
	}
	// Adding fields to the original over the signed file: refused too.
	err = AddFields(orig, signed, []FieldSpec{{Name: "c", Page: 1, Rect: VisibleRect{10, 10, 100, 50}}})
	if !errors.As(err, &drop) || fileSum(t, signed) != before {
		t.Fatalf("AddFields over the signed file: %v", err)
	}

	// Building on the signed file keeps signature 1: allowed in place and to another name.
	if err := CheckReplace(signed, signed); err != nil {
		t.Fatal(err)
	}
	both := filepath.Join(e.dir, "contract-both.pdf")
	if _, err := SignFile(context.Background(), signed, both, o); err != nil {
		t.Fatal(err)
	}
	e.c.check(both, 2)
	// A third signature written over "both" from "both" keeps both earlier ones.
	if err := os.WriteFile(filepath.Join(e.dir, "plain.pdf"), genPDF(genOpts{pages: 1}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckReplace(signed, both); !errors.As(err, &drop) || drop.Held != 2 || drop.Missing != 1 {
		t.Fatalf("CheckReplace(one signature, two signatures) = %v", err)
	}
	o3 := e.opts("王五")
	o3.Page, o3.Rect = 1, VisibleRect{300, 300, 400, 350}
	if _, err := SignFile(context.Background(), both, both, o3); err != nil {
		t.Fatalf("signing a file in place: %v", err)
	}
	e.c.check(both, 3)

	// A file without signatures (or not a PDF) may be replaced.
	plain := filepath.Join(e.dir, "plain.pdf")
	if err := CheckReplace(orig, plain); err != nil {
		t.Fatal(err)
	}
	if _, err := SignFile(context.Background(), orig, plain, e.opts("张三")); err != nil {
		t.Fatalf("replacing an unsigned file: %v", err)
	}
	text := e.write("notes.pdf", []byte("just some text"))
	if _, err := SignFile(context.Background(), orig, text, e.opts("张三")); err != nil {
		t.Fatalf("replacing a text file: %v", err)
	}
	// A damaged file that looks signed cannot prove its signatures are kept: refused.
	b, _ := os.ReadFile(signed)
	damaged := e.write("damaged.pdf", append([]byte("garbage"), b[20:len(b)-40]...))
	if _, err := SignFile(context.Background(), orig, damaged, e.opts("张三")); !errors.As(err, &drop) || !drop.Unreadable {
		t.Fatalf("replacing a damaged signed file: %v", err)
	}
}

// TestInPlaceKeepCheck: signing a signed file in place skips re-reading both files only while
// the file is the one that was copied, unchanged; a file rewritten during the signing is checked
// in full, and the result that would drop its signature is refused.
func TestInPlaceKeepCheck(t *testing.T) {
	e := newEnv(t)
	a := e.write("a.pdf", genPDF(genOpts{pages: 1}))
	b := e.write("b.pdf", genPDF(genOpts{pages: 2}))
	for i, name := range []string{"张三", "李四"} {
		o := e.opts(name)
		o.Page, o.Rect = 1, VisibleRect{100 + 150*float64(i), 100, 200 + 150*float64(i), 150}
		if _, err := SignFile(context.Background(), a, a, o); err != nil {
			t.Fatalf("signing a.pdf in place (#%d): %v", i+1, err)
		}
	}
	e.c.check(a, 2)
	if _, err := SignFile(context.Background(), b, b, e.opts("王五")); err != nil {
		t.Fatal(err)
	}
	other, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	// While a.pdf is copied, another program writes b.pdf's signed bytes into it (same file).
	o := e.opts("赵六")
	rewritten := false
	o.Progress = func(done, total int64) {
		if !rewritten {
			rewritten = true
			if err := os.WriteFile(a, other, 0o644); err != nil {
				t.Error(err)
			}
		}
	}
	_, err = SignFile(context.Background(), a, a, o)
	if !errors.Is(err, ErrDropsSignatures) {
		t.Fatalf("signing a file rewritten during the copy: %v, want ErrDropsSignatures", err)
	}
	if got, _ := os.ReadFile(a); !bytes.Equal(got, other) {
		t.Fatal("the rewritten file was replaced")
	}
	assertNoPartials(t, e.dir)
}
