package pdf

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

var qpdfXrefLine = regexp.MustCompile(`^(\d+)/(\d+): (uncompressed; offset = (\d+)|compressed; stream = (\d+), index = (\d+))`)

// checkAgainstTools compares the latest view with qpdf --show-xref (every object's location)
// and pdfinfo (the page count).
func checkAgainstTools(t *testing.T, path string, f *File) {
	t.Helper()
	q := needTool(t, "qpdf")
	out, err := exec.Command(q, "--show-xref", path).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
			t.Fatalf("qpdf --show-xref: %v", err)
		}
	}
	v := f.Latest()
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := qpdfXrefLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		n++
		num, _ := strconv.Atoi(m[1])
		e, _, ok := v.Entry(num)
		if !ok {
			t.Errorf("object %d: qpdf has %q, we have no entry", num, sc.Text())
			continue
		}
		if m[4] != "" {
			off, _ := strconv.ParseInt(m[4], 10, 64)
			if e.Type != EntryInUse || e.Offset != off {
				t.Errorf("object %d: qpdf %q, we %+v", num, sc.Text(), e)
			}
		} else {
			stm, _ := strconv.ParseInt(m[5], 10, 64)
			idx, _ := strconv.Atoi(m[6])
			if e.Type != EntryCompressed || e.Offset != stm || e.Gen != idx {
				t.Errorf("object %d: qpdf %q, we %+v", num, sc.Text(), e)
			}
		}
	}
	if n == 0 {
		t.Errorf("qpdf listed no objects:\n%s", out)
	}
	pi := needTool(t, "pdfinfo")
	info, err := exec.Command(pi, path).Output()
	if err != nil {
		t.Fatalf("pdfinfo: %v", err)
	}
	var pages int
	if m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindSubmatch(info); m != nil {
		pages, _ = strconv.Atoi(string(m[1]))
	}
	got, err := v.Pages()
	if err != nil || len(got) != pages {
		t.Errorf("%d pages (%v), pdfinfo says %d", len(got), err, pages)
	}
}

// The cross-reference data we read agrees with qpdf, object by object, for every corpus file
// whose structure is intact, and for generated files of every kind.
func TestAgreesWithQpdf(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "files", "*.pdf"))
	if len(files) != 38 {
		t.Fatalf("%d corpus files", len(files))
	}
	for _, p := range files {
		f, err := OpenFile(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		clean := !f.Reconstructed()
		for _, r := range f.Revisions() {
			if len(r.Anomalies) > 0 {
				clean = false
			}
		}
		if _, junk := f.Tail(); junk {
			clean = false
		}
		if clean {
			t.Run(filepath.Base(p), func(t *testing.T) { checkAgainstTools(t, p, f) })
		}
		f.Close()
	}
	base := genPDF(genOpts{nPages: 30, form: true, fanout: 4})
	for name, b := range map[string][]byte{
		"table":      base,
		"objstm":     qpdfConvert(t, base, "--object-streams=generate"),
		"linearized": qpdfConvert(t, base, "--linearize", "--object-streams=generate"),
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "f.pdf")
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
			checkAgainstTools(t, p, openBytes(t, b))
		})
	}
}
