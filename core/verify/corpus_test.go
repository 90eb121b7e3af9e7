package verify

import (
	"context"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// corpusDir finds ../shared/corpus beside the repository (CI: /work/shared next to /work/main).
// Without it the test is skipped, naming why, or fails under SEALDESK_CI.
func corpusDir(t testing.TB) string {
	t.Helper()
	if d := findCorpus(); d != "" {
		return d
	}
	if os.Getenv("SEALDESK_CI") != "" {
		t.Fatalf("signed-PDF corpus not found (looked in %v)", corpusCandidates())
	}
	t.Skip("signed-PDF corpus not found beside the repository (../shared/corpus)")
	return ""
}

// optionalCorpusDir is corpusDir for a fuzz target's extra seeds: without the corpus the target
// still runs on its own seeds and says so; under SEALDESK_CI the corpus is required.
func optionalCorpusDir(f *testing.F) string {
	f.Helper()
	if d := findCorpus(); d != "" {
		return d
	}
	if os.Getenv("SEALDESK_CI") != "" {
		f.Fatalf("signed-PDF corpus not found (looked in %v)", corpusCandidates())
	}
	f.Log("signed-PDF corpus not found beside the repository: fuzzing without its seed files")
	return ""
}

func findCorpus() string {
	for _, c := range corpusCandidates() {
		if _, err := os.Stat(filepath.Join(c, "MANIFEST.tsv")); err == nil {
			return c
		}
	}
	return ""
}

func corpusCandidates() []string {
	var cands []string
	if d := os.Getenv("SEALDESK_CORPUS"); d != "" {
		cands = append(cands, d)
	}
	cands = append(cands, filepath.Join("..", "..", "..", "shared", "corpus"))
	if out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output(); err == nil {
		cands = append(cands, filepath.Join(strings.TrimSpace(string(out)), "..", "shared", "corpus"))
	}
	return cands
}

type corpusRow struct {
	name, want, reason string
	nsig               int
}

func corpusRows(t testing.TB, dir string) []corpusRow {
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma, r.LazyQuotes, r.FieldsPerRecord = '\t', true, 9
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []corpusRow
	for _, row := range rows[1:] {
		n, _ := strconv.Atoi(row[2])
		out = append(out, corpusRow{row[0], row[1], row[8], n})
	}
	return out
}

// TestCorpus: every public sample gets its expected verdict (valid may be untrusted: we do not
// hold their roots).
func TestCorpus(t *testing.T) {
	dir := corpusDir(t)
	for _, row := range corpusRows(t, dir) {
		t.Run(row.name, func(t *testing.T) {
			rep, err := File(context.Background(), filepath.Join(dir, "files", row.name), nil)
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			got := rep.Verdict
			if row.want == "valid" && got == StatusUntrusted {
				got = StatusValid
			}
			if got != Verdict(row.want) {
				var sb strings.Builder
				rep.WriteText(&sb, "en")
				t.Errorf("verdict %q, want %q\n%s", rep.Verdict, row.want, sb.String())
			}
			if row.want == "valid" && len(rep.Signatures) != row.nsig {
				t.Errorf("%d signatures reported, manifest says %d", len(rep.Signatures), row.nsig)
			}
		})
	}
}
