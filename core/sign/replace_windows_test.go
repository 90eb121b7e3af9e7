package sign

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// On Windows itself (make wine-smoke runs this under Wine): while another handle holds the
// document open without FILE_SHARE_DELETE, as PDF readers do, signing it in place is refused by
// the system and the result is kept beside it; once that handle is closed, in-place signing works
// (the signer closes its own handle on the input before the rename).
func TestReplaceRefusedOnWindows(t *testing.T) {
	e := newEnv(t)
	orig := e.write("合同.pdf", genPDF(genOpts{pages: 1}))
	before := fileSum(t, orig)
	p, _ := syscall.UTF16PtrFromString(orig)
	h, err := syscall.CreateFile(p, syscall.GENERIC_READ, syscall.FILE_SHARE_READ|syscall.FILE_SHARE_WRITE, nil,
		syscall.OPEN_EXISTING, syscall.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = SignFile(context.Background(), orig, orig, e.opts("张三"))
	syscall.CloseHandle(h)
	var rr *ReplaceRefusedError
	if !errors.As(err, &rr) || rr.Kept != filepath.Join(e.dir, "合同-已签.pdf") {
		t.Fatalf("signing a document held open: %v", err)
	}
	t.Logf("refused as expected: %v", rr.Err)
	if fileSum(t, orig) != before {
		t.Fatal("the held document changed")
	}
	if held, err := heldSignatures(rr.Kept); err != nil || len(held) != 1 {
		t.Fatalf("kept copy: %d signatures (%v)", len(held), err)
	}
	if _, err := SignFile(context.Background(), orig, orig, e.opts("张三")); err != nil {
		t.Fatalf("signing in place once the document is free: %v", err)
	}
	if held, err := heldSignatures(orig); err != nil || len(held) != 1 {
		t.Fatalf("signed in place: %d signatures (%v)", len(held), err)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "合同-已签(2).pdf")); err == nil {
		t.Error("a second copy was kept although the replace worked")
	}
}
