package verify

import (
	"bytes"
	"crypto"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"sealdesk/core/cms"
	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// crlfSection rewrites the bytes a revision appended (section, after base) with CRLF line ends
// around every "N 0 obj", "endobj", "stream"/"endstream", in the cross-reference table (20-byte
// rows ending "n\r\n"), the trailer and after %%EOF, as several Windows producers write them;
// stream data is kept. Offsets in the table and startxref are recomputed. With shift, each
// table offset points at the CR LF before the object header instead (a common defect).
func crlfSection(t testing.TB, base, section []byte, shift int) []byte {
	t.Helper()
	x := bytes.LastIndex(section, []byte("\nxref\n")) + 1
	if x < 1 {
		t.Fatal("no xref table in the section")
	}
	body := section[:x]
	objRe := regexp.MustCompile(`(?s)(\d+) (\d+) obj\n(.*?)\nendobj\n`)
	var out bytes.Buffer
	out.Write(base)
	offs := map[int]int{}
	last := 0
	for _, m := range objRe.FindAllSubmatchIndex(body, -1) {
		pre := body[last:m[0]]
		out.Write(bytes.ReplaceAll(pre, []byte("\n"), []byte("\r\n")))
		num, _ := strconv.Atoi(string(body[m[2]:m[3]]))
		offs[num] = out.Len()
		out.WriteString(fmt.Sprintf("%s %s obj\r\n", body[m[2]:m[3]], body[m[4]:m[5]]))
		v := body[m[6]:m[7]]
		if i := bytes.Index(v, []byte("stream\n")); i >= 0 && bytes.HasSuffix(v, []byte("\nendstream")) {
			out.Write(bytes.ReplaceAll(v[:i], []byte("\n"), []byte("\r\n")))
			out.WriteString("stream\r\n")
			out.Write(v[i+7 : len(v)-len("\nendstream")])
			out.WriteString("\r\nendstream")
		} else {
			out.Write(bytes.ReplaceAll(v, []byte("\n"), []byte("\r\n")))
		}
		out.WriteString("\r\nendobj\r\n")
		last = m[1]
	}
	out.Write(bytes.ReplaceAll(body[last:], []byte("\n"), []byte("\r\n")))
	xrefOff := out.Len()
	// The table: subsection headers kept, rows re-pointed.
	tr := bytes.Index(section[x:], []byte("trailer"))
	lines := strings.Split(strings.TrimSpace(string(section[x+5:x+tr])), "\n")
	out.WriteString("xref\r\n")
	num := 0
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) == 2 {
			num, _ = strconv.Atoi(f[0])
			out.WriteString(l + "\r\n")
			continue
		}
		if f[2] == "n" {
			o, ok := offs[num]
			if !ok {
				t.Fatalf("object %d of the table not found", num)
			}
			fmt.Fprintf(&out, "%010d %s n\r\n", o-shift, f[1])
		} else {
			fmt.Fprintf(&out, "%s %s f\r\n", f[0], f[1])
		}
		num++
	}
	trailer := section[x+tr:]
	sx := bytes.Index(trailer, []byte("startxref"))
	out.Write(bytes.ReplaceAll(trailer[:sx], []byte("\n"), []byte("\r\n")))
	fmt.Fprintf(&out, "startxref\r\n%d\r\n%%%%EOF\r\n", xrefOff)
	return out.Bytes()
}

// signLastInPlace computes the ByteRange and CMS of the last signature dictionary in d (its
// /Contents a zero-filled hex string, its /ByteRange a fixed-width placeholder).
func (s *signer) signLastInPlace(t testing.TB, d []byte) []byte {
	t.Helper()
	out := append([]byte{}, d...)
	bi := bytes.LastIndex(out, []byte("/ByteRange"))
	be := bytes.IndexByte(out[bi:], ']') + bi + 1
	objStart := bytes.LastIndex(out[:bi], []byte(" obj"))
	objEnd := bytes.Index(out[bi:], []byte("endobj")) + bi
	ci := bytes.Index(out[objStart:objEnd], []byte("/Contents")) + objStart
	start := int64(bytes.IndexByte(out[ci:], '<')) + int64(ci)
	end := int64(bytes.IndexByte(out[start:], '>')) + start + 1
	br := [4]int64{0, start, end, int64(len(out)) - end}
	txt, err := pdf.FormatByteRange(br, be-bi-len("/ByteRange"))
	if err != nil {
		txt, err = pdf.FormatByteRange(br, pdf.ByteRangeWidth)
	}
	if err != nil || len(txt) != be-bi-len("/ByteRange") {
		t.Fatalf("ByteRange does not fit: %v", err)
	}
	copy(out[bi+len("/ByteRange"):be], txt)
	h := crypto.SHA256.New()
	h.Write(out[:start])
	h.Write(out[end:])
	sd, err := cms.Sign(cms.SignOptions{Signer: s.key, Cert: s.cert, Chain: s.pki.Chain, Hash: crypto.SHA256, Digest: h.Sum(nil)})
	if err != nil {
		t.Fatal(err)
	}
	der, _ := sd.Marshal()
	hx := strings.ToUpper(hex.EncodeToString(der))
	copy(out[start+1:end-1], hx+strings.Repeat("0", int(end-start)-2-len(hx)))
	return out
}

// crlfSigned signs doc n times, each revision rewritten with CRLF line ends.
func (s *signer) crlfSigned(t testing.TB, doc []byte, n, shift int, o sigOpts) []byte {
	t.Helper()
	d := doc
	for i := 0; i < n; i++ {
		o.contents = []byte{0x30, 0x00}
		signed := s.sign(t, d, o)
		d = s.signLastInPlace(t, crlfSection(t, d, signed[len(d):], shift))
		o.certify = 0
	}
	return d
}

func TestRedTeamCRLF(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	lf, _ := makeDoc(docOpts{})
	doc := crlfSection(t, nil, lf, 0)
	if _, err := pdf.Open(bytes.NewReader(doc), int64(len(doc)), nil); err != nil {
		t.Fatalf("the CRLF original does not open: %v", err)
	}
	rows := []redRow{
		{"crlf-1: one signature, CRLF everywhere", func() []byte { return s.crlfSigned(t, doc, 1, 0, sigOpts{}) }, StatusValid, ""},
		{"crlf-5: five signatures, CRLF everywhere (a validator's LTA file)", func() []byte { return s.crlfSigned(t, doc, 5, 0, sigOpts{}) }, StatusValid, ""},
		{"crlf-5-certified: P=2 certification then four approvals, CRLF", func() []byte {
			return s.crlfSigned(t, doc, 5, 0, sigOpts{certify: 2})
		}, StatusValid, ""},
		{"crlf-5-offsets-at-crlf: table offsets point at the CR LF before each header", func() []byte {
			return s.crlfSigned(t, doc, 5, 2, sigOpts{})
		}, StatusValid, ""},
		{"crlf-5-content-changed: the page content replaced after five CRLF signatures", func() []byte {
			d := s.crlfSigned(t, doc, 5, 0, sigOpts{})
			return update(t, d, func(u *pdf.Update, v *pdf.View) { setObj(t, u, pdf.Ref{Num: 4}, contentStream(redEvil, nil)) })
		}, StatusModified, "object 4"},
		{"crlf-5-tail-garbage: bytes after the last %%EOF CR LF", func() []byte {
			return append(s.crlfSigned(t, doc, 5, 0, sigOpts{}), []byte("4 0 obj\r\n<</Length 41>>stream\r\n"+redEvil+"\r\nendstream\r\nendobj\r\n")...)
		}, StatusModified, ""},
		{"crlf-5-byte-flip: a byte of the first revision changed", func() []byte {
			return flipSigned(s.crlfSigned(t, doc, 5, 0, sigOpts{}))
		}, StatusInvalid, ""},
	}
	runRedRows(t, s, rows)
}
