package sign

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// errSharing stands for Windows' ERROR_SHARING_VIOLATION (32), what MoveFileEx says when a PDF
// reader holds the target open.
var errSharing = errors.New("The process cannot access the file because it is being used by another process.")

// refuseReplacing makes rename behave as on Windows while another program holds every existing
// file open: a rename onto an existing name fails, onto a new name succeeds.
func refuseReplacing(t *testing.T) {
	t.Helper()
	real := rename
	rename = func(from, to string) error {
		if _, err := os.Lstat(to); err == nil {
			return &os.LinkError{Op: "rename", Old: from, New: to, Err: errSharing}
		}
		return real(from, to)
	}
	t.Cleanup(func() { rename = real })
}

// TestReplaceRefusedKeepsResult: signing a document in place while it cannot be replaced leaves it
// untouched and keeps the complete signed result beside it as 合同-已签.pdf (then 合同-已签(2).pdf),
// reported as a *ReplaceRefusedError naming both.
func TestReplaceRefusedKeepsResult(t *testing.T) {
	e := newEnv(t)
	orig := e.write("合同.pdf", genPDF(genOpts{pages: 1}))
	before := fileSum(t, orig)
	refuseReplacing(t)
	for i, want := range []string{"合同-已签.pdf", "合同-已签(2).pdf"} {
		_, err := SignFile(context.Background(), orig, orig, e.opts("张三"))
		var rr *ReplaceRefusedError
		if !errors.As(err, &rr) || !errors.Is(err, ErrReplaceRefused) || !errors.Is(err, errSharing) {
			t.Fatalf("signing #%d in place: %v", i+1, err)
		}
		if rr.Path != orig || rr.Kept != filepath.Join(e.dir, want) {
			t.Fatalf("signing #%d: %+v, want the result kept as %s", i+1, rr, want)
		}
		if fileSum(t, orig) != before {
			t.Fatal("the document that could not be replaced changed")
		}
		e.c.check(rr.Kept, 1)
	}
	assertNoPartials(t, e.dir)
	// a kept copy signed in place again: 合同-已签.pdf → 合同-已签(3).pdf, not 合同-已签-已签.pdf
	kept := filepath.Join(e.dir, "合同-已签.pdf")
	o := e.opts("李四")
	o.Page, o.Rect = 1, VisibleRect{300, 300, 400, 350}
	_, err := SignFile(context.Background(), kept, kept, o)
	var rr *ReplaceRefusedError
	if !errors.As(err, &rr) || filepath.Base(rr.Kept) != "合同-已签(3).pdf" {
		t.Fatalf("signing the kept copy in place: %v", err)
	}
	e.c.check(rr.Kept, 2)
	// Another reason a rename fails (the folder is gone) is an ordinary error: nothing is kept.
	rename = func(from, to string) error {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: syscall.ENOENT}
	}
	_, err = SignFile(context.Background(), orig, filepath.Join(e.dir, "new.pdf"), e.opts("张三"))
	if err == nil || errors.Is(err, ErrReplaceRefused) {
		t.Fatalf("a failed rename onto a new name: %v", err)
	}
	assertNoPartials(t, e.dir)
}

// TestChineseLongPaths: a document in folders with Chinese names, its path far beyond Windows'
// classic 260-character MAX_PATH (Go's os package adds the \\?\ prefix on Windows; the same test
// runs there in make wine-smoke), is signed and verified like any other.
func TestChineseLongPaths(t *testing.T) {
	e := newEnv(t)
	dir := e.dir
	for _, part := range []string{"上海某某贸易有限公司采购部二〇二六年度合同归档资料（含补充协议与附件）",
		"第三季度供应商框架协议及其所有附件的电子签署版本与纸质扫描件对照", "待签署文件夹中的最终确认稿件存放位置",
		"法务部门审核意见汇总以及各业务部门负责人逐级审批记录的完整留档副本", "按照公司档案管理制度第十二条规定需要长期保存的电子合同原件与验签报告",
		"二〇二六年十二月四日由行政部统一上传至共享文件服务器的备份目录", "供应链管理中心与财务共享服务中心联合归档的年度采购合同扫描件及电子签章版本"} {
		dir = filepath.Join(dir, part)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "采购合同（最终版）.pdf")
	if err := os.WriteFile(in, genPDF(genOpts{pages: 1}), 0o644); err != nil {
		t.Fatal(err)
	}
	if n := len([]rune(in)); n <= 260 {
		t.Fatalf("path of %d characters, want more than 260", n)
	}
	out := strings.TrimSuffix(in, ".pdf") + "-已签.pdf"
	if _, err := SignFile(context.Background(), in, out, e.opts("张三")); err != nil {
		t.Fatal(err)
	}
	held, err := heldSignatures(out)
	if err != nil || len(held) != 1 {
		t.Fatalf("%d signatures (%v), want 1", len(held), err)
	}
	if filepath.Separator == '/' { // the independent verifiers (pdfsig, qpdf …) run on Linux
		e.c.check(out, 1)
	}
}
