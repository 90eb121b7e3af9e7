package pdf

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// corpusDir is the signed-PDF development corpus (see testdata/corpus/README.md).
const corpusDir = "testdata/corpus"

// corpusRevisions is the number of revisions of each corpus file: the number of %%EOF markers,
// minus one for the extra first-page trailer of a linearized original, as `qpdf --show-xref`
// and the files' /Prev chains show. Files 20 and 22 are incremental-saving and wrapping
// attacks whose cross-reference data is broken on purpose; they are rebuilt from the bytes.
var corpusRevisions = map[string]int{
	"01": 2, "02": 3, "03": 3, "04": 2, "05": 2, "06": 2, "07": 4, "08": 5, "09": 5, "10": 3,
	"11": 5, "12": 2, "13": 2, "14": 1, "15": 3, "16": 3, "17": 3, "18": 3, "19": 3, "20": 3,
	"21": 2, "22": 2, "23": 2, "24": 2, "25": 4, "26": 2, "27": 2, "28": 2, "29": 5, "30": 4,
	"31": 3, "32": 4, "33": 2, "34": 6, "35": 6, "36": 1, "37": 2, "38": 1,
}

func readManifest(t *testing.T) [][]string {
	t.Helper()
	fh, err := os.Open(filepath.Join(corpusDir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatalf("corpus manifest: %v", err)
	}
	defer fh.Close()
	r := csv.NewReader(fh)
	r.Comma, r.LazyQuotes, r.FieldsPerRecord = '\t', true, 9
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows[1:]
}

func TestCorpus(t *testing.T) {
	rows := readManifest(t)
	if len(rows) != 38 {
		t.Fatalf("manifest has %d rows, want 38", len(rows))
	}
	for _, row := range rows {
		name, nsig := row[0], row[2]
		t.Run(name, func(t *testing.T) {
			f, err := OpenFile(filepath.Join(corpusDir, "files", name), nil)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			defer f.Close()
			revs := f.Revisions()
			if want := corpusRevisions[name[:2]]; len(revs) != want {
				t.Errorf("%d revisions, want %d", len(revs), want)
			}
			for i, r := range revs {
				if r.Index != i {
					t.Errorf("revision %d has Index %d", i, r.Index)
				}
				if i > 0 && r.End <= revs[i-1].End {
					t.Errorf("revision %d ends at %d, not after revision %d (%d)", i, r.End, i-1, revs[i-1].End)
				}
			}
			if last := revs[len(revs)-1]; last.End > f.Size() {
				t.Errorf("last revision ends at %d beyond the file size %d", last.End, f.Size())
			}
			pages, err := f.Pages()
			if err != nil || len(pages) == 0 {
				t.Fatalf("pages: %d, %v", len(pages), err)
			}
			if _, err := f.Fields(); err != nil {
				t.Errorf("fields: %v", err)
			}
			sigs, _, err := f.FindSigDicts()
			if err != nil {
				t.Fatalf("find signatures: %v", err)
			}
			want, _ := strconv.Atoi(nsig)
			if n := countSigned(sigs); n < want {
				t.Errorf("found %d signature dictionaries with /Contents, manifest says %d", n, want)
			}
			// Every stream of the latest revision decodes or is an image codec.
			v := f.Latest()
			for _, n := range revs[len(revs)-1].Defined {
				o, err := v.Object(Ref{Num: n})
				if err != nil {
					continue
				}
				if s, ok := o.(*Stream); ok {
					if _, err := f.StreamData(s); err != nil && !errors.Is(err, ErrMalformed) {
						t.Errorf("object %d: %v", n, err)
					}
				}
			}
		})
	}
}

// countSigned counts distinct signature dictionaries (latest version per object) that carry a
// /Contents value.
func countSigned(sigs []SigDict) int {
	seen := map[Ref]bool{}
	for _, s := range sigs {
		if _, ok := s.Dict["Contents"]; ok || len(s.Fields) > 0 {
			seen[s.Ref] = true
		}
	}
	return len(seen)
}

// The attack samples must be visible in the revision structure.
func TestCorpusAttackStructure(t *testing.T) {
	open := func(prefix string) *File {
		t.Helper()
		m, _ := filepath.Glob(filepath.Join(corpusDir, "files", prefix+"-*.pdf"))
		if len(m) != 1 {
			t.Fatalf("corpus file %s-* not found", prefix)
		}
		f, err := OpenFile(m[0], nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	// 20: an update appended after %%EOF with a bare "xref" and no %%EOF of its own.
	f := open("20")
	last := f.Revisions()[2]
	if last.EOF != -1 || !hasAnomaly(last, "no %%EOF") || !f.Reconstructed() {
		t.Errorf("20: last revision EOF=%d anomalies=%v", last.EOF, last.Anomalies)
	}
	if !containsInt(last.Changed, 2) {
		t.Errorf("20: the attack replaces the page tree (object 2); changed=%v", last.Changed)
	}
	// 21: the update's trailer has no /Root.
	f = open("21")
	if !hasAnomaly(f.Revisions()[1], "no /Root") {
		t.Errorf("21: anomalies %v", f.Revisions()[1].Anomalies)
	}
	if _, err := f.Catalog(); err != nil {
		t.Errorf("21: catalog should be inherited: %v", err)
	}
	// 23: bytes after the last %%EOF.
	f = open("23")
	if sp, junk := f.Tail(); !junk || sp.Len() == 0 {
		t.Errorf("23: tail %v junk=%v", sp, junk)
	}
	// 34: startxref one byte before the "xref" keyword.
	f = open("34")
	if r := f.Revisions()[2]; r.StartXRefValue != r.XRefOffset-1 || !hasAnomaly(r, "not at the stated offset") {
		t.Errorf("34: revision 2 startxref %d xref %d anomalies %v", r.StartXRefValue, r.XRefOffset, r.Anomalies)
	}
	// A clean file has no anomalies and no tail.
	f = open("01")
	for _, r := range f.Revisions() {
		if len(r.Anomalies) > 0 {
			t.Errorf("01: revision %d anomalies %v", r.Index, r.Anomalies)
		}
	}
	if _, junk := f.Tail(); junk {
		t.Error("01: unexpected tail")
	}
}

func hasAnomaly(r *Revision, s string) bool {
	for _, a := range r.Anomalies {
		if strings.Contains(a, s) {
			return true
		}
	}
	return false
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// The /Contents hex token of a signature dictionary can be located exactly, so a verifier can
// compare it with the ByteRange gap.
func TestSignatureContentsSpan(t *testing.T) {
	f, err := OpenFile(filepath.Join(corpusDir, "files", "01-valid-single-pades-bes-sha512.pdf"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sigs, _, err := f.FindSigDicts()
	if err != nil || len(sigs) != 1 {
		t.Fatalf("sigs %v err %v", sigs, err)
	}
	v := f.View(sigs[0].Revision)
	ind, stm, err := v.Indirect(sigs[0].Ref)
	if err != nil || stm != 0 {
		t.Fatalf("indirect: %v (objstm %d)", err, stm)
	}
	sp, ok := ind.ValueSpans["Contents"]
	if !ok {
		t.Fatal("no span for /Contents")
	}
	br, _ := ind.Value.(Dict).Get("ByteRange").(Array)
	if len(br) != 4 {
		t.Fatalf("ByteRange %v", br)
	}
	b1, _ := IntOf(br[1])
	b2, _ := IntOf(br[2])
	if sp.Start != b1 || sp.End != b2 {
		t.Errorf("/Contents token at %v, ByteRange gap [%d, %d)", sp, b1, b2)
	}
	raw, _ := f.ReadRange(sp)
	if raw[0] != '<' || raw[len(raw)-1] != '>' {
		t.Errorf("span does not hold the hex token: %q…", raw[:8])
	}
	// The span of the whole object starts at its header.
	hdr, _ := f.ReadRange(Span{ind.Span.Start, ind.Span.Start + 12})
	if !bytes.HasPrefix(hdr, []byte(strconv.Itoa(sigs[0].Ref.Num)+" ")) {
		t.Errorf("object span starts with %q", hdr)
	}
	end, _ := f.ReadRange(Span{ind.Span.End - 6, ind.Span.End})
	if string(end) != "endobj" {
		t.Errorf("object span ends with %q", end)
	}
	// ParseIndirectAt reads the same object from its offset.
	again, err := f.ParseIndirectAt(ind.Span.Start)
	if err != nil || !Equal(again.Value, ind.Value) {
		t.Errorf("ParseIndirectAt: %v", err)
	}
}

// Revisions can be read as they were: the signed version of a file whose later revision
// changed the page tree shows the old objects.
func TestViewOfRevision(t *testing.T) {
	f, err := OpenFile(filepath.Join(corpusDir, "files", "31-disallowed-pages-removed.pdf"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	first, err := f.View(0).NumPages()
	if err != nil {
		t.Fatal(err)
	}
	latest, err := f.Latest().NumPages()
	if err != nil {
		t.Fatal(err)
	}
	if first <= latest {
		t.Errorf("pages: original %d, latest %d; the attack removes pages", first, latest)
	}
	p0, err := f.View(0).Pages()
	if err != nil || len(p0) != first {
		t.Errorf("walk of revision 0: %d pages, %v", len(p0), err)
	}
}

func TestRevisionEndingAt(t *testing.T) {
	f, err := OpenFile(filepath.Join(corpusDir, "files", "07-valid-multi-two-sigs-incremental.pdf"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sigs, _, err := f.FindSigDicts()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sigs {
		br, _ := s.Dict.Get("ByteRange").(Array)
		c, _ := IntOf(br[2])
		d, _ := IntOf(br[3])
		r, ok := f.RevisionEndingAt(c + d)
		if !ok || r.Index != s.Revision {
			t.Errorf("signature %v defined in revision %d, ByteRange ends at %d → %v %v", s.Ref, s.Revision, c+d, r, ok)
		}
		if e, ok := f.Revisions()[s.Revision].Entry(s.Ref.Num); !ok || e.Type != EntryInUse {
			t.Errorf("entry of %v: %+v %v", s.Ref, e, ok)
		}
	}
	if _, ok := f.RevisionEndingAt(12345); ok {
		t.Error("no revision ends at 12345")
	}
}

// A File is shared by goroutines (the verifier checks signatures in parallel).
func TestConcurrentUse(t *testing.T) {
	f, err := OpenFile(filepath.Join(corpusDir, "files", "29-allowed-form-filled-after-signing.pdf"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want, err := f.Fields()
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func(g int) {
			v := f.View(g % len(f.Revisions()))
			if _, err := v.Pages(); err != nil {
				errs <- err
				return
			}
			fs, err := f.Fields()
			if err == nil && len(fs) != len(want) {
				err = fmt.Errorf("%d fields, want %d", len(fs), len(want))
			}
			errs <- err
		}(g)
	}
	for g := 0; g < 8; g++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestLexerWindowShared reads every object of a file through lexers that hand their buffer on
// (File.lexer, File.release), from several goroutines at once, and compares each with the
// same object parsed from the bytes in memory.
func TestLexerWindowShared(t *testing.T) {
	b := genPDF(genOpts{nPages: 60, fanout: 4, form: true, padBytes: 20 << 10})
	want, err := OpenBytes(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := openBytes(t, b)
	var nums []int
	for n, e := range f.revs[len(f.revs)-1].entries {
		if e.Type == EntryInUse {
			nums = append(nums, n)
		}
	}
	if len(nums) < 100 {
		t.Fatalf("only %d objects", len(nums))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4*len(nums))
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := range nums {
				n := nums[(i*(g+1))%len(nums)] // each goroutine in another order
				got, err := f.Object(Ref{Num: n})
				exp, err2 := want.Object(Ref{Num: n})
				if err != nil || err2 != nil || !reflect.DeepEqual(got, exp) {
					errs <- fmt.Errorf("object %d: %v (%v), want %v (%v)", n, got, err, exp, err2)
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
