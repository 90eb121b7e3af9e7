package sign

// Performance: signing time ÷ the floor and peak memory, side by side with pdfsign's signer, on
// generated 1, 10 and 45 MB PDFs (table and xref-stream variants). Run the table with
//
//	SEALDESK_LONG=1 go test -run TestSideBySide -v ./core/sign
//
// (SEALDESK_BENCH_ROUNDS sets the number of rounds, default 7; SEALDESK_BENCH_SIZES the sizes
// in MB, default "1,10,45"). The floor is the least work any
// signer that keeps our durability rule must do with the same bytes: read the input, SHA-256 it,
// write it to a temporary file beside the output through the same buffer size as SignFile
// (copyBufLen: 32 KB up to 4 MB, 128 KB above), fsync, rename over the output and fsync the
// folder. Its fsync+rename share is reported too. (Before 5 December 2026 the floor passed its
// 128 KB buffer to io.CopyBuffer with the *os.File as the source, which then copies through
// io.Copy's own 32 KB buffer and ignores the one given: the floor copied through 32 KB at every
// size while SignFile used 128 KB, 24 more fresh pages.)
//
// Every signer must also make one private-key signature, which a copy does not: the floor child
// then signs the file's SHA-256 digest once with the same key (P-256 ECDSA), timed apart, and
// the table gives both ratios — to the floor alone (the rule since the first measurement) and
// to the floor plus that signature ("floor+key"), the least work any signer must do (about
// 0.15 ms of CPU cold, a fifteenth of the 1 MB floor). The ≤ 1.3 target below is judged on the
// floor alone, from 10 MB on; at 1 MB both ratios are logged, not judged (5 December 2026,
// best of 25 at load 8-15: CPU 1.37-1.49 ÷ floor, 1.30-1.39 ÷ floor+key). What remains at 1 MB
// are fixed costs of a cold process, mostly first touches of fresh memory: 28-30 page faults
// for a table file and 40-46 for an xref-stream file against the floor's 11-13, 12-20 µs each in
// these VMs — each first allocation of a size class takes a fresh span, and the first inflate
// (the xref stream) sets up compress/flate's tables and window.
// A second pair signs a signed copy of each file in place (out = in: a second signer, or saving
// over the document) against the same durable copy replacing the file it reads. A third pair
// ("warm") times a second operation in a process that made one already, as the desktop signs:
// the cold child above is sealctl's case, a fresh process whose every first allocation touches
// fresh pages.
//
// Each operation runs in a child process (this test binary re-executed) so that its peak RSS
// (getrusage maxrss) is its own and it starts as cold as a real signing does (in the VMs this
// runs on, the first touch of each fresh 4 KB page costs ~20 µs). Times are measured inside the
// child and the best of the rounds is kept. Rounds rotate the order of the three operations, and
// before each run the parent deletes the previous outputs and flushes all dirty pages (untimed),
// so that no run pays for another's writeback. The machine is shared: the load average at the
// start and the end is logged with the table, and so is each operation's least CPU time
// (user+system, page faults included), which other processes disturb far less than wall time,
// and its fewest minor page faults (first touches of fresh memory, which neighbours do not
// change: where a signing's fixed costs go):
// when the load average exceeds the CPU count, the ≤ 1.3 target is judged on CPU times, and
// above twice the CPU count not at all (the table is still logged).

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	pdfsign "github.com/digitorus/pdfsign/sign"

	"sealdesk/core/pki/pkitest"
)

// floorCopy reads in, hashes it with SHA-256 and writes it durably to out (temporary file,
// fsync, rename, folder fsync): the least work any signer must do but its one private-key
// operation. It returns the digest and how long the fsyncs and the rename took.
func floorCopy(in, out string) ([]byte, time.Duration, error) {
	src, err := os.Open(in)
	if err != nil {
		return nil, 0, err
	}
	defer src.Close()
	dst, err := os.CreateTemp(filepath.Dir(out), ".floor.*.partial")
	if err != nil {
		return nil, 0, err
	}
	defer os.Remove(dst.Name())
	st, err := src.Stat()
	if err != nil {
		dst.Close()
		return nil, 0, err
	}
	h := sha256.New()
	buf := make([]byte, copyBufLen(st.Size()))
	// Hiding the file's WriteTo makes CopyBuffer use buf (os.File's WriteTo copies through a
	// 32 KB buffer of its own).
	if _, err := io.CopyBuffer(io.MultiWriter(h, dst), struct{ io.Reader }{src}, buf); err != nil {
		dst.Close()
		return nil, 0, err
	}
	digest := h.Sum(nil)
	syncStart := time.Now()
	if err := dst.Sync(); err != nil {
		dst.Close()
		return nil, 0, err
	}
	if err := dst.Close(); err != nil {
		return nil, 0, err
	}
	if err := os.Rename(dst.Name(), out); err != nil {
		return nil, 0, err
	}
	d, err := os.Open(filepath.Dir(out))
	if err != nil {
		return nil, 0, err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return nil, 0, err
	}
	return digest, time.Since(syncStart), nil
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
	// signatures the new one would drop); the parent removed the previous one already, or for
	// "inplace" put a signed copy of the input there to be signed again in place.
	if op != "inplace" && op != "floorinplace" {
		os.Remove(out)
	}
	if warm, ok := strings.CutSuffix(op, "warm"); ok {
		// A second operation in the same process, as the desktop signs: the first, untimed,
		// writes beside the output and is removed.
		op = warm
		scratch := out + ".first.pdf"
		var err error
		if op == "floor" {
			_, _, err = floorCopy(in, scratch)
		} else {
			_, err = SignFile(context.Background(), in, scratch, &Options{Signer: key, Cert: cert, Chain: p.Chain})
		}
		if err != nil {
			t.Fatal(err)
		}
		os.Remove(scratch)
	}
	cpu0, flt0 := cpuTime(), minorFaults()
	start := time.Now()
	var err error
	var syncTime time.Duration
	var digest []byte
	switch op {
	case "floor":
		digest, syncTime, err = floorCopy(in, out)
	case "floorinplace":
		digest, syncTime, err = floorCopy(out, out)
	case "ours":
		_, err = SignFile(context.Background(), in, out, &Options{Signer: key, Cert: cert, Chain: p.Chain})
	case "inplace":
		_, err = SignFile(context.Background(), out, out, &Options{Signer: key, Cert: cert, Chain: p.Chain})
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
	elapsed := time.Since(start)
	cpu, faults := cpuTime()-cpu0, minorFaults()-flt0
	fmt.Printf("ELAPSED_NS=%d\nSYNC_NS=%d\nCPU_NS=%d\nFAULTS=%d\n", elapsed.Nanoseconds(), syncTime.Nanoseconds(), cpu.Nanoseconds(), faults)
	if digest != nil {
		// The one private-key operation every signer makes, timed apart (see the doc comment).
		cpu1, start1 := cpuTime(), time.Now()
		if _, err := key.Sign(rand.Reader, digest, crypto.SHA256); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("KEY_NS=%d\nKEY_CPU_NS=%d\n", time.Since(start1).Nanoseconds(), (cpuTime() - cpu1).Nanoseconds())
	}
}

type benchResult struct {
	elapsed time.Duration
	sync    time.Duration // the floor's fsyncs and rename, in its fastest run
	cpu     time.Duration // least user+system CPU time of a run
	faults  int64         // fewest minor page faults of a run
	maxRSS  int64         // bytes
	// withKey and cpuWithKey are a floor's least time and CPU time with its private-key
	// operation (zero for the signers).
	withKey, cpuWithKey time.Duration
}

func runChild(t *testing.T, op, in, out string, env ...string) benchResult {
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchChild$", "-test.count=1")
	cmd.Env = append(append(os.Environ(), "SEALDESK_BENCH_OP="+op, "SEALDESK_BENCH_IN="+in, "SEALDESK_BENCH_OUT="+out), env...)
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s child: %v\n%s", op, err, b)
	}
	var r benchResult
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "ELAPSED_NS="); ok {
			ns, _ := strconv.ParseInt(v, 10, 64)
			r.elapsed = time.Duration(ns)
		}
		if v, ok := strings.CutPrefix(line, "SYNC_NS="); ok {
			ns, _ := strconv.ParseInt(v, 10, 64)
			r.sync = time.Duration(ns)
		}
		if v, ok := strings.CutPrefix(line, "CPU_NS="); ok {
			ns, _ := strconv.ParseInt(v, 10, 64)
			r.cpu = time.Duration(ns)
		}
		if v, ok := strings.CutPrefix(line, "FAULTS="); ok {
			r.faults, _ = strconv.ParseInt(v, 10, 64)
		}
		if v, ok := strings.CutPrefix(line, "KEY_NS="); ok {
			ns, _ := strconv.ParseInt(v, 10, 64)
			r.withKey = time.Duration(ns)
		}
		if v, ok := strings.CutPrefix(line, "KEY_CPU_NS="); ok {
			ns, _ := strconv.ParseInt(v, 10, 64)
			r.cpuWithKey = time.Duration(ns)
		}
	}
	if r.withKey > 0 {
		r.withKey += r.elapsed
		r.cpuWithKey += r.cpu
	}
	r.maxRSS = maxRSS(cmd.ProcessState)
	return r
}

// keep folds x into r: the fastest time (with its sync share), the least CPU time, the fewest
// page faults and the largest RSS.
func keep(r *benchResult, x benchResult) {
	if r.elapsed == 0 || x.elapsed < r.elapsed {
		r.elapsed, r.sync = x.elapsed, x.sync
	}
	if r.cpu == 0 || x.cpu < r.cpu {
		r.cpu = x.cpu
	}
	if r.faults == 0 || x.faults < r.faults {
		r.faults = x.faults
	}
	if r.withKey == 0 || (x.withKey > 0 && x.withKey < r.withKey) {
		r.withKey = x.withKey
	}
	if r.cpuWithKey == 0 || (x.cpuWithKey > 0 && x.cpuWithKey < r.cpuWithKey) {
		r.cpuWithKey = x.cpuWithKey
	}
	if x.maxRSS > r.maxRSS {
		r.maxRSS = x.maxRSS
	}
}

func TestSideBySide(t *testing.T) {
	if os.Getenv("SEALDESK_LONG") == "" {
		t.Skip("set SEALDESK_LONG=1 for the side-by-side performance table")
	}
	rounds := 7
	if n, err := strconv.Atoi(os.Getenv("SEALDESK_BENCH_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	loadStart := loadAverage()
	dir := t.TempDir()
	type row struct {
		name  string
		size  int64
		floor benchResult
		ours  benchResult
		// inplace signs a signed copy of the file in place (a second signer; the desktop when
		// the user saves over the document).
		inplace benchResult
		// floorInplace is the floor of inplace: the same durable copy replacing the file it
		// reads (the rename frees the old file's blocks, which the folder fsync commits).
		floorInplace benchResult
		them         benchResult
		// floorWarm and oursWarm are a second operation in a process that made one already:
		// the desktop's case, where the allocator's memory is no longer fresh.
		floorWarm, oursWarm benchResult
	}
	var rows []row
	sizes := []int{1, 10, 45}
	if v := os.Getenv("SEALDESK_BENCH_SIZES"); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			if mb, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && mb > 0 {
				sizes = append(sizes, mb)
			}
		}
	}
	for _, mb := range sizes {
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
			signed := filepath.Join(dir, name+"-signed.pdf")
			runChild(t, "ours", in, signed)
			ops := []struct {
				op  string
				res *benchResult
			}{{"floor", &r.floor}, {"ours", &r.ours}, {"inplace", &r.inplace}, {"floorinplace", &r.floorInplace}, {"pdfsign", &r.them},
				{"floorwarm", &r.floorWarm}, {"ourswarm", &r.oursWarm}}
			// Interleaved so that all three see the same disk and neighbours; each round
			// starts with another operation.
			for i := 0; i < rounds; i++ {
				for j := range ops {
					o := ops[(i+j)%len(ops)]
					out := filepath.Join(dir, o.op+".pdf")
					for _, x := range ops {
						os.Remove(filepath.Join(dir, x.op+".pdf"))
					}
					if o.op == "inplace" || o.op == "floorinplace" {
						copyFile(t, signed, out)
					}
					flushDirty()
					keep(o.res, runChild(t, o.op, in, out))
				}
			}
			rows = append(rows, r)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].size < rows[j].size })
	var b strings.Builder
	fmt.Fprintf(&b, "\nbest of %d rounds; load average %s at the start, %s at the end\n", rounds, loadStart, loadAverage())
	fmt.Fprintf(&b, "| file | size MB | floor ms | of which fsync+rename ms | ours ms | ours ÷ floor | CPU ms floor / ours (÷) | page faults floor / ours | floor+key ms (ours ÷ it) | CPU ms floor+key (ours ÷ it) | signed copy in place ms / its floor ms (÷; ÷ floor+key) | pdfsign ms | pdfsign ÷ floor | floor peak RSS MB | ours peak RSS MB | pdfsign peak RSS MB | warm: floor ms / ours ms (÷) | warm: CPU ms floor / ours (÷) | warm: page faults floor / ours |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %.1f | %.1f | %.1f | %.1f | %.2f | %.1f / %.1f (%.2f) | %d / %d | %.1f (%.2f) | %.1f (%.2f) | %.1f / %.1f (%.2f; %.2f) | %.0f | %.2f | %.0f | %.0f | %.0f | %.1f / %.1f (%.2f) | %.1f / %.1f (%.2f) | %d / %d |\n", r.name, float64(r.size)/(1<<20),
			ms(r.floor.elapsed), ms(r.floor.sync), ms(r.ours.elapsed), float64(r.ours.elapsed)/float64(r.floor.elapsed),
			ms(r.floor.cpu), ms(r.ours.cpu), float64(r.ours.cpu)/float64(r.floor.cpu), r.floor.faults, r.ours.faults,
			ms(r.floor.withKey), float64(r.ours.elapsed)/float64(r.floor.withKey),
			ms(r.floor.cpuWithKey), float64(r.ours.cpu)/float64(r.floor.cpuWithKey),
			ms(r.inplace.elapsed), ms(r.floorInplace.elapsed), float64(r.inplace.elapsed)/float64(r.floorInplace.elapsed), float64(r.inplace.elapsed)/float64(r.floorInplace.withKey),
			ms(r.them.elapsed), float64(r.them.elapsed)/float64(r.floor.elapsed),
			float64(r.floor.maxRSS)/(1<<20), float64(r.ours.maxRSS)/(1<<20), float64(r.them.maxRSS)/(1<<20),
			ms(r.floorWarm.elapsed), ms(r.oursWarm.elapsed), float64(r.oursWarm.elapsed)/float64(r.floorWarm.elapsed),
			ms(r.floorWarm.cpu), ms(r.oursWarm.cpu), float64(r.oursWarm.cpu)/float64(r.floorWarm.cpu), r.floorWarm.faults, r.oursWarm.faults)
	}
	t.Log(b.String())
	// The target (≤ 1.3× the floor from 10 MB on) is judged on wall time when the machine was
	// not busier than its CPUs at either end of the run; under more load wall times measure the
	// neighbours (best-of-7 ratios of 0.65–1.36 were seen at load 7–12 for the same code), so
	// the CPU times are judged instead — and not at all above twice the CPU count, where page
	// faults slow down with the neighbours too (CPU ratios of 1.08–1.22 rose to 1.31 at load 17).
	quiet := loadBelow(loadStart, runtime.NumCPU()) && loadBelow(loadAverage(), runtime.NumCPU())
	busy := !loadBelow(loadStart, 2*runtime.NumCPU()) || !loadBelow(loadAverage(), 2*runtime.NumCPU())
	if busy {
		t.Logf("times not judged: load average %s/%s on %d CPUs", loadStart, loadAverage(), runtime.NumCPU())
	}
	for _, r := range rows {
		if r.size >= 10<<20 {
			for _, x := range []struct {
				what       string
				res, floor benchResult
			}{{"signing", r.ours, r.floor}, {"signing a signed copy in place", r.inplace, r.floorInplace}} {
				if ratio := float64(x.res.elapsed) / float64(x.floor.elapsed); quiet && ratio > 1.3 {
					t.Errorf("%s: %s is %.2f× the floor, target ≤ 1.3", r.name, x.what, ratio)
				}
				if ratio := float64(x.res.cpu) / float64(x.floor.cpu); !quiet && !busy && x.floor.cpu > 0 && ratio > 1.3 {
					t.Errorf("%s: %s takes %.2f× the floor's CPU time, target ≤ 1.3", r.name, x.what, ratio)
				}
			}
		}
		if r.ours.maxRSS > r.size+64<<20 {
			t.Errorf("%s: peak RSS %d MB above file size + 64 MB", r.name, r.ours.maxRSS>>20)
		}
	}
}

// copyFile copies a file without holding it in memory: children start with the parent's peak
// RSS, which would count in theirs.
func copyFile(t *testing.T, from, to string) {
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// loadBelow reports whether the load average text la is known and below n.
func loadBelow(la string, n int) bool {
	x, err := strconv.ParseFloat(la, 64)
	return err == nil && x < float64(n)
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
		if _, _, err := floorCopy(in, filepath.Join(dir, "out.pdf")); err != nil {
			b.Fatal(err)
		}
	}
}
