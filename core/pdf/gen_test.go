package pdf

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// genPage describes one generated page; nil boxes and rotate -1 inherit from the tree.
type genPage struct {
	media, crop string // PDF arrays, e.g. "[0 0 595 842]"; "" to inherit
	rotate      string // "" to inherit
}

// genOpts describe a generated PDF with a classic cross-reference table.
type genOpts struct {
	version    string    // header version, default 1.4
	pages      []genPage // default: one plain A4 page
	nPages     int       // if > 0 and pages empty: this many plain pages
	rootAttrs  string    // extra entries on the root /Pages node (inherited attributes)
	padBytes   int       // size of an extra uncompressed stream, to reach a target file size
	noFinalEOL bool      // end the file with "%%EOF" and no newline
	form       bool      // add an AcroForm with a text field and an empty signature field
	fanout     int       // kids per intermediate /Pages node (default 8)
}

// genPDF writes a PDF with a real page tree (intermediate /Pages nodes), content streams and
// an optional form, with a classic xref table. Offsets are exact.
func genPDF(o genOpts) []byte {
	if o.version == "" {
		o.version = "1.4"
	}
	if len(o.pages) == 0 {
		n := o.nPages
		if n == 0 {
			n = 1
		}
		for i := 0; i < n; i++ {
			o.pages = append(o.pages, genPage{media: "[0 0 595 842]"})
		}
	}
	if o.fanout < 2 {
		o.fanout = 8
	}
	objs := map[int]string{}
	next := 1
	alloc := func() int { n := next; next++; return n }
	catalog := alloc()
	root := alloc()
	font := alloc()
	objs[font] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
	// Leaves.
	type node struct {
		num  int
		leaf bool
		cnt  int
	}
	var level []node
	pageNums := []int{}
	for i, p := range o.pages {
		pn := alloc()
		cn := alloc()
		content := fmt.Sprintf("BT /F1 24 Tf 72 720 Td (Page %d) Tj ET", i+1)
		objs[cn] = fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content)
		attrs := ""
		if p.media != "" {
			attrs += " /MediaBox " + p.media
		}
		if p.crop != "" {
			attrs += " /CropBox " + p.crop
		}
		if p.rotate != "" {
			attrs += " /Rotate " + p.rotate
		}
		objs[pn] = fmt.Sprintf("<< /Type /Page /Parent %%PARENT%% /Contents %d 0 R /Resources << /Font << /F1 %d 0 R >> >>%s%%ANNOTS%% >>", cn, font, attrs)
		level = append(level, node{pn, true, 1})
		pageNums = append(pageNums, pn)
	}
	parent := map[int]int{}
	// Build intermediate levels until one node remains, which becomes the root.
	for len(level) > o.fanout {
		var up []node
		for i := 0; i < len(level); i += o.fanout {
			j := min(i+o.fanout, len(level))
			n := alloc()
			var kids []string
			cnt := 0
			for _, k := range level[i:j] {
				kids = append(kids, fmt.Sprintf("%d 0 R", k.num))
				parent[k.num] = n
				cnt += k.cnt
			}
			objs[n] = fmt.Sprintf("<< /Type /Pages /Parent %%PARENT%% /Kids [%s] /Count %d >>", strings.Join(kids, " "), cnt)
			up = append(up, node{n, false, cnt})
		}
		level = up
	}
	var kids []string
	total := 0
	for _, k := range level {
		kids = append(kids, fmt.Sprintf("%d 0 R", k.num))
		parent[k.num] = root
		total += k.cnt
	}
	objs[root] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d%s >>", strings.Join(kids, " "), total, o.rootAttrs)
	catExtra := ""
	if o.form {
		tx := alloc()
		sig := alloc()
		objs[tx] = fmt.Sprintf("<< /FT /Tx /T (name) /V (Zhang San) /Type /Annot /Subtype /Widget /Rect [72 600 272 620] /P %d 0 R >>", pageNums[0])
		objs[sig] = fmt.Sprintf("<< /FT /Sig /T (sig1) /Type /Annot /Subtype /Widget /Rect [300 100 500 160] /F 4 /P %d 0 R >>", pageNums[0])
		catExtra = fmt.Sprintf(" /AcroForm << /Fields [%d 0 R %d 0 R] /DA (/Helv 0 Tf 0 g) >>", tx, sig)
		p0 := objs[pageNums[0]]
		objs[pageNums[0]] = strings.Replace(p0, "%ANNOTS%", fmt.Sprintf(" /Annots [%d 0 R %d 0 R]", tx, sig), 1)
	}
	if o.padBytes > 0 {
		pad := alloc()
		objs[pad] = fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", o.padBytes, bytes.Repeat([]byte("0123456789abcde\n"), o.padBytes/16+1)[:o.padBytes])
		catExtra += fmt.Sprintf(" /PieceInfo << /Pad << /Private %d 0 R >> >>", pad)
	}
	objs[catalog] = fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R%s >>", root, catExtra)
	info := alloc()
	objs[info] = "<< /Producer (sealdesk test generator) >>"

	var b bytes.Buffer
	fmt.Fprintf(&b, "%%PDF-%s\n%%\xe2\xe3\xcf\xd3\n", o.version)
	offsets := make([]int, next)
	for n := 1; n < next; n++ {
		s := objs[n]
		s = strings.Replace(s, "%PARENT%", fmt.Sprintf("%d 0 R", parent[n]), 1)
		s = strings.Replace(s, "%ANNOTS%", "", 1)
		offsets[n] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, s)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", next)
	for n := 1; n < next; n++ {
		fmt.Fprintf(&b, "%010d 00000 n \n", offsets[n])
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<00112233445566778899aabbccddeeff> <00112233445566778899aabbccddeeff>] >>\nstartxref\n%d\n%%%%EOF", next, catalog, info, xref)
	if !o.noFinalEOL {
		b.WriteString("\n")
	}
	return b.Bytes()
}

// needTool returns the path of an external tool, skipping the test when it is missing (and
// failing when SEALDESK_CI is set, where every tool must be installed).
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatalf("%s is required in CI: %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

// qpdfConvert runs qpdf with args on in and returns the output file's bytes.
func qpdfConvert(t testing.TB, in []byte, args ...string) []byte {
	t.Helper()
	q := needTool(t, "qpdf")
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "in.pdf"), filepath.Join(dir, "out.pdf")
	if err := os.WriteFile(src, in, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(q, append(append([]string{}, args...), src, dst)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		// qpdf exits 3 for warnings; the output is still written.
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
			t.Fatalf("qpdf %v: %v\n%s", args, err, out)
		}
	}
	b, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func openBytes(t testing.TB, b []byte) *File {
	t.Helper()
	f, err := Open(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return f
}
