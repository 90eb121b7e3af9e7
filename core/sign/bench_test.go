package sign

// Performance: signing time ÷ the floor (read + SHA-256 + write + fsync of the same bytes) and
// peak memory, side by side with pdfsign's signer, on generated 1, 10 and 45 MB PDFs (table
// and xref-stream variants). Run the table with
//
//	SEALDESK_LONG=1 go test -run TestSideBySide -v ./core/sign
//
// Each operation runs in a child process (this test binary re-executed) so that its peak RSS
// (getrusage maxrss) is its own; times are measured inside the child, best of five interleaved runs.

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	pdfsign "github.com/digitorus/pdfsign/sign"

	"sealdesk/core/pki/pkitest"
)

// floorCopy reads in, hashes it with SHA-256 and writes it to out, fsynced: the least work any
// signer must do.
func floorCopy(in, out string) error {
	src, err := os.Open(in)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(out)
	if err != nil {
		return err
	}
	h := sha256.New()
	buf := make([]byte, 1<<20)
	if _, err := io.CopyBuffer(io.MultiWriter(dst, h), src, buf); err != nil {
		dst.Close()
		return err
	}
	h.Sum(nil)
	if err := dst.Sync(); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// TestBenchChild performs one operation when re-executed by TestSideBySide.
func TestBenchChild(t *testing.T) {
	op := os.Getenv("SEALDESK_BENCH_OP")
	if op == "" {
		t.Skip("only run as a child of TestSideBySide")
	}
	in, out := os.Getenv("SEALDESK_BENCH_IN"), os.Getenv("SEALDESK_BENCH_OUT")
	if op == "gen" {
		// Generated in a child so the parent's memory high-water mark, which children
		// inherit through vfork, stays small.
		mb, _ := strconv.Atoi(os.Getenv("SEALDESK_BENCH_MB"))
		data := genPDF(genOpts{pages: 20, padBytes: mb << 20, xrefStream: os.Getenv("SEALDESK_BENCH_XS") == "1"})
		if err := os.WriteFile(out, data, 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("ELAPSED_NS=1\n")
		return
	}
	p := pkitest.New(t, &pkitest.Options{NoServer: true})
	cert, key := p.Leaf(t, "bench", "")
	// Each run writes a fresh output (SignFile refuses to replace a signed file whose
	// signatures the new one would drop): the previous run's output goes first, untimed.
	os.Remove(out)
	start := time.Now()
	var err error
	switch op {
	case "floor":
		err = floorCopy(in, out)
	case "ours":
		_, err = SignFile(context.Background(), in, out, &Options{Signer: key, Cert: cert, Chain: p.Chain})
	case "pdfsign":
		err = pdfsign.SignFile(in, out, pdfsign.SignData{
			Signer: key, Certificate: cert, CertificateChains: [][]*x509.Certificate{append([]*x509.Certificate{cert}, p.Chain...)}, DigestAlgorithm: crypto.SHA256,
			Signature: pdfsign.SignDataSignature{CertType: pdfsign.ApprovalSignature, Info: pdfsign.SignDataSignatureInfo{Name: "bench", Date: time.Now()}},
		})
	default:
		t.Fatalf("unknown op %q", op)
	}
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("ELAPSED_NS=%d\n", time.Since(start).Nanoseconds())
}

type benchResult struct {
	elapsed time.Duration
	maxRSS  int64 // bytes
}

func runChild(t *testing.T, op, in, out string, env ...string) benchResult {
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchChild$", "-test.count=1")
	cmd.Env = append(append(os.Environ(), "SEALDESK_BENCH_OP="+op, "SEALDESK_BENCH_IN="+in, "SEALDESK_BENCH_OUT="+out), env...)
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s child: %v\n%s", op, err, b)
	}
	var ns int64
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "ELAPSED_NS="); ok {
			ns, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	return benchResult{elapsed: time.Duration(ns), maxRSS: maxRSS(cmd.ProcessState)}
}

// keep folds x into r: the fastest time and the largest RSS.
func keep(r *benchResult, x benchResult) {
	if r.elapsed == 0 || x.elapsed < r.elapsed {
		r.elapsed = x.elapsed
	}
	if x.maxRSS > r.maxRSS {
		r.maxRSS = x.maxRSS
	}
}

func TestSideBySide(t *testing.T) {
	if os.Getenv("SEALDESK_LONG") == "" {
		t.Skip("set SEALDESK_LONG=1 for the side-by-side performance table")
	}
	dir := t.TempDir()
	type row struct {
		name  string
		size  int64
		floor benchResult
		ours  benchResult
		them  benchResult
		err   string
	}
	var rows []row
	for _, mb := range []int{1, 10, 45} {
		for _, xs := range []bool{false, true} {
			name := fmt.Sprintf("%dMB-table", mb)
			if xs {
				name = fmt.Sprintf("%dMB-xrefstream", mb)
			}
			in := filepath.Join(dir, name+".pdf")
			xsFlag := "0"
			if xs {
				xsFlag = "1"
			}
			runChild(t, "gen", "", in, "SEALDESK_BENCH_MB="+strconv.Itoa(mb), "SEALDESK_BENCH_XS="+xsFlag)
			st, err := os.Stat(in)
			if err != nil {
				t.Fatal(err)
			}
			r := row{name: name, size: st.Size()}
			// Interleaved so that all three see the same disk and neighbours.
			for i := 0; i < 5; i++ {
				keep(&r.floor, runChild(t, "floor", in, filepath.Join(dir, "floor.pdf")))
				keep(&r.ours, runChild(t, "ours", in, filepath.Join(dir, "ours.pdf")))
				keep(&r.them, runChild(t, "pdfsign", in, filepath.Join(dir, "pdfsign.pdf")))
			}
			rows = append(rows, r)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].size < rows[j].size })
	var b strings.Builder
	fmt.Fprintf(&b, "\n| file | size MB | floor ms | ours ms | ours ÷ floor | pdfsign ms | pdfsign ÷ floor | floor peak RSS MB | ours peak RSS MB | pdfsign peak RSS MB |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %.1f | %.0f | %.0f | %.2f | %.0f | %.2f | %.0f | %.0f | %.0f |\n", r.name, float64(r.size)/(1<<20),
			ms(r.floor.elapsed), ms(r.ours.elapsed), float64(r.ours.elapsed)/float64(r.floor.elapsed),
			ms(r.them.elapsed), float64(r.them.elapsed)/float64(r.floor.elapsed),
			float64(r.floor.maxRSS)/(1<<20), float64(r.ours.maxRSS)/(1<<20), float64(r.them.maxRSS)/(1<<20))
	}
	t.Log(b.String())
	for _, r := range rows {
		if r.size >= 10<<20 {
			if ratio := float64(r.ours.elapsed) / float64(r.floor.elapsed); ratio > 1.3 {
				t.Errorf("%s: signing is %.2f× the floor, target ≤ 1.3", r.name, ratio)
			}
		}
		if r.ours.maxRSS > r.size+64<<20 {
			t.Errorf("%s: peak RSS %d MB above file size + 64 MB", r.name, r.ours.maxRSS>>20)
		}
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkSign10MB and BenchmarkFloor10MB give the in-process ratio for `make bench`.
func BenchmarkSign10MB(b *testing.B) {
	p := pkitest.New(b, &pkitest.Options{NoServer: true})
	cert, key := p.Leaf(b, "bench", "")
	dir := b.TempDir()
	in := filepath.Join(dir, "in.pdf")
	data := genPDF(genOpts{pages: 20, padBytes: 10 << 20})
	os.WriteFile(in, data, 0o644)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := SignFile(context.Background(), in, filepath.Join(dir, "out.pdf"), &Options{Signer: key, Cert: cert, Chain: p.Chain}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFloor10MB(b *testing.B) {
	dir := b.TempDir()
	in := filepath.Join(dir, "in.pdf")
	data := genPDF(genOpts{pages: 20, padBytes: 10 << 20})
	os.WriteFile(in, data, 0o644)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := floorCopy(in, filepath.Join(dir, "out.pdf")); err != nil {
			b.Fatal(err)
		}
	}
}
