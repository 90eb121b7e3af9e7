package sign

import (
	"context"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	pdfrender "sealdesk/core/pdf/render"
	"syscall"
	"testing"
	"time"

	"sealdesk/core/pki/pkitest"
	sdverify "sealdesk/core/verify"
)

// TestKillChild signs once when re-executed by TestKillDuringSigning.
func TestKillChild(t *testing.T) {
	in, out := os.Getenv("SEALDESK_KILL_IN"), os.Getenv("SEALDESK_KILL_OUT")
	if in == "" {
		t.Skip("only run as a child of TestKillDuringSigning")
	}
	p := pkitest.New(t, &pkitest.Options{NoServer: true})
	cert, key := p.Leaf(t, "killed", "")
	img := sealPNG(t)
	if _, err := SignFile(context.Background(), in, out, &Options{Signer: key, Cert: cert, Chain: p.Chain, Page: 1, Rect: VisibleRect{100, 100, 200, 200}, Image: img}); err != nil {
		t.Fatal(err)
	}
}

// TestKillDuringSigning kills a signing process with SIGKILL at random moments: the output
// is either absent or a complete, intact signed file, and the input never changes.
func TestKillDuringSigning(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, genPDF(genOpts{pages: 5, padBytes: 8 << 20}), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := fileSum(t, in)
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	iterations := 12
	if os.Getenv("SEALDESK_LONG") != "" {
		iterations = 60
	}
	completed, killed := 0, 0
	var full time.Duration
	for i := 0; i < iterations; i++ {
		out := filepath.Join(dir, "out.pdf")
		os.Remove(out)
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "SEALDESK_KILL_IN="+in, "SEALDESK_KILL_OUT="+out)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// The first iteration runs to the end and measures how long a signing takes; later
		// ones are killed at a random moment within that time (key generation, copy and
		// hash, writing the update, fsync, rename).
		delay := time.Minute
		if i > 0 {
			delay = time.Duration(rng.Int63n(int64(full) + 1))
		}
		started := time.Now()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("child failed: %v", err)
			}
			if i == 0 {
				full = time.Since(started)
			}
		case <-time.After(delay):
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
			killed++
		}
		if fileSum(t, in) != sum {
			t.Fatalf("iteration %d: input changed", i)
		}
		if _, err := os.Stat(out); err == nil {
			completed++
			rep, err := sdverify.File(context.Background(), out, &sdverify.Options{Renderer: pdfrender.Shared()})
			if err != nil {
				t.Fatalf("iteration %d: output unreadable: %v", i, err)
			}
			if len(rep.Signatures) != 1 || rep.Signatures[0].Integrity != "valid" {
				t.Fatalf("iteration %d: output present but not a complete signed file: %+v", i, rep.Signatures)
			}
		}
		// A killed child may leave its hidden temporary file, never the output itself.
		partials, _ := filepath.Glob(filepath.Join(dir, ".out.pdf.*.partial"))
		for _, p := range partials {
			os.Remove(p)
		}
	}
	if completed == 0 {
		t.Fatal("no iteration completed: the test did not exercise a finished output")
	}
	t.Logf("%d iterations: %d killed, %d completed outputs checked", iterations, killed, completed)
}
