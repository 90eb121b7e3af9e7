package verify

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"sealdesk/core/cms"
	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// Red-team rows for issue 13 §4 and §6 (reading what real-world producers write, cryptography):
// each class has a generator here, an attack and its harmless twin.

// redRow is one generated file and the verdict it must get with the test root trusted.
type redRow struct {
	name   string
	build  func() []byte
	want   Verdict
	reason string // a substring of some change or reason ("" = none checked)
}

func runRedRows(t *testing.T, s *signer, rows []redRow) {
	t.Helper()
	for _, c := range rows {
		t.Run(c.name, func(t *testing.T) {
			data := c.build()
			if data == nil {
				t.Skip("the generator cannot build this row (see its comment)")
			}
			rep := verifyBytes(t, data, s.store())
			if rep.Verdict != c.want {
				t.Fatalf("verdict %s, want %s\n%s", rep.Verdict, c.want, dump(rep))
			}
			if c.reason != "" && !reportMentions(rep, c.reason) {
				t.Errorf("nothing in the report mentions %q:\n%s", c.reason, dump(rep))
			}
		})
	}
}

// signInPlace fills the one signature dictionary of a file whose /ByteRange and /Contents are
// placeholders (a file rewritten by another tool after it was prepared): the ByteRange is set
// around the /Contents hex string (padded to its old width) and the CMS computed over it.
func (s *signer) signInPlace(t testing.TB, data []byte) []byte {
	t.Helper()
	out := append([]byte{}, data...)
	brRe := regexp.MustCompile(`/ByteRange\s*\[[\s\d]+\]`)
	loc := brRe.FindIndex(out)
	if loc == nil {
		t.Fatal("no /ByteRange in the rewritten file")
	}
	ci := bytes.Index(out, []byte("/Contents <"))
	if ci < 0 {
		ci = bytes.Index(out, []byte("/Contents<"))
	}
	if ci < 0 {
		t.Fatalf("no hex /Contents in the rewritten file")
	}
	start := int64(bytes.IndexByte(out[ci:], '<')) + int64(ci)
	end := int64(bytes.IndexByte(out[start:], '>')) + start + 1
	br := [4]int64{0, start, end, int64(len(out)) - end}
	text := fmt.Sprintf("/ByteRange [%d %d %d %d]", br[0], br[1], br[2], br[3])
	if len(text) > loc[1]-loc[0] {
		t.Fatalf("ByteRange %q does not fit in %d bytes", text, loc[1]-loc[0])
	}
	text = text[:len(text)-1] + strings.Repeat(" ", loc[1]-loc[0]-len(text)) + "]"
	copy(out[loc[0]:loc[1]], text)
	h := sha256.New()
	h.Write(out[:start])
	h.Write(out[end:])
	sd, err := cms.Sign(cms.SignOptions{Signer: s.key, Cert: s.cert, Chain: s.pki.Chain, Hash: crypto.SHA256, Digest: h.Sum(nil)})
	if err != nil {
		t.Fatal(err)
	}
	der, err := sd.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	hx := strings.ToUpper(hex.EncodeToString(der))
	width := int(end-start) - 2
	if len(hx) > width {
		t.Fatalf("CMS of %d bytes does not fit in /Contents", len(der))
	}
	copy(out[start+1:end-1], hx+strings.Repeat("0", width-len(hx)))
	return out
}

// qpdfEncrypt encrypts a file with qpdf (an independent implementation) with an empty user
// password; bits 40 (RC4, R2), 128 (RC4, R3), 128aes (AES-128, R4) or 256 (AES-256, R6).
func qpdfEncrypt(t testing.TB, in []byte, user, bits string) []byte {
	t.Helper()
	if _, err := exec.LookPath("qpdf"); err != nil {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatal("qpdf is required in CI (apt-get install qpdf)")
		}
		t.Skip("qpdf not installed: the encrypted-file generators need it")
	}
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "in.pdf"), filepath.Join(dir, "out.pdf")
	if err := os.WriteFile(src, in, 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"--static-id", "--object-streams=disable", "--allow-weak-crypto", "--encrypt", user, "owner-secret"}
	switch bits {
	case "128aes":
		args = append(args, "128", "--use-aes=y")
	default:
		args = append(args, bits)
	}
	args = append(args, "--", src, dst)
	if out, err := exec.Command("qpdf", args...).CombinedOutput(); err != nil {
		// qpdf exits 3 for warnings.
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

// objectSpan finds "num 0 obj … endobj" in data.
func objectSpan(t testing.TB, data []byte, num int) (int, int) {
	t.Helper()
	re := regexp.MustCompile(`(?m)(^|[\r\n])` + strconv.Itoa(num) + ` 0 obj\b`)
	loc := re.FindIndex(data)
	if loc == nil {
		t.Fatalf("object %d not found", num)
	}
	start := loc[0]
	if data[start] == '\n' || data[start] == '\r' {
		start++
	}
	e := bytes.Index(data[start:], []byte("endobj"))
	return start, start + e + len("endobj")
}

// contentObjNum finds the object number of the first page's content stream (qpdf renumbers).
func contentObjNum(t testing.TB, data []byte) int {
	t.Helper()
	m := regexp.MustCompile(`/Contents (\d+) 0 R`).FindSubmatch(data)
	if m == nil {
		t.Fatal("no /Contents reference")
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// appendObjects appends raw object texts (each "N 0 obj … endobj") as one classic incremental
// update whose trailer repeats the previous /Encrypt, /ID and /Root.
func appendObjects(t testing.TB, base []byte, objs map[int][]byte, trailerExtra string) []byte {
	t.Helper()
	f, err := pdf.Open(bytes.NewReader(base), int64(len(base)), &pdf.Options{Decrypt: true})
	if err != nil {
		t.Fatal(err)
	}
	last := f.Revisions()[len(f.Revisions())-1]
	size, _ := pdf.IntOf(last.Trailer.Get("Size"))
	var b bytes.Buffer
	b.Write(base)
	if base[len(base)-1] != '\n' {
		b.WriteByte('\n')
	}
	var rows []string
	nums := make([]int, 0, len(objs))
	for n := range objs {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	for _, num := range nums {
		o := objs[num]
		rows = append(rows, fmt.Sprintf("%d 1\n%010d 00000 n \n", num, b.Len()))
		size = max(size, int64(num)+1)
		b.Write(o)
		b.WriteByte('\n')
	}
	root := last.Trailer.Get("Root").(pdf.Ref)
	enc := ""
	if r, ok := last.Trailer.Get("Encrypt").(pdf.Ref); ok && !strings.Contains(trailerExtra, "/Encrypt") {
		enc = fmt.Sprintf("/Encrypt %d %d R", r.Num, r.Gen)
	}
	id := ""
	if ids, ok := last.Trailer.Get("ID").(pdf.Array); ok && len(ids) == 2 {
		a, _ := ids[0].(pdf.String)
		c, _ := ids[1].(pdf.String)
		id = fmt.Sprintf("/ID[<%x><%x>]", a.Bytes, c.Bytes)
	}
	x := b.Len()
	fmt.Fprintf(&b, "xref\n0 1\n0000000000 65535 f \n%strailer\n<</Size %d/Root %d 0 R%s%s%s/Prev %d>>\nstartxref\n%d\n%%%%EOF\n",
		strings.Join(rows, ""), size, root.Num, enc, id, trailerExtra, last.XRefOffset, x)
	return b.Bytes()
}

func TestRedTeamEncryption(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	// The document with an empty signature field whose /V is a prepared signature dictionary:
	// qpdf rewrites and encrypts it, then the signature is made in place (signed in the first
	// revision, as Oracle's driver + iText did for the DSS sample).
	prepared := func(content string) []byte {
		base, _ := makeDoc(docOpts{emptySig: true})
		if content != "" {
			base = bytes.Replace(base, []byte("(Pay 1000000 yuan)"), []byte(content), 1)
			base = fixLength4(t, base)
		}
		return update(t, base, func(u *pdf.Update, v *pdf.View) {
			sig := u.Add(pdf.Dict{"Type": pdf.Name("Sig"), "Filter": pdf.Name("Adobe.PPKLite"), "SubFilter": pdf.Name("ETSI.CAdES.detached"),
				"ByteRange": pdf.Array{pdf.Int(0), pdf.Int(9999999999), pdf.Int(9999999999), pdf.Int(9999999999)},
				"Contents":  pdf.String{Bytes: make([]byte, 6000), Hex: true}, "M": pdf.String{Bytes: []byte("D:20260301100000Z")},
				"Name": pdf.String{Bytes: []byte("Zhang San")}})
			w := v.Dict(pdf.Ref{Num: 9}).Clone()
			w["V"] = sig
			setObj(t, u, pdf.Ref{Num: 9}, w)
		})
	}
	var rows []redRow
	for _, bits := range []string{"40", "128", "128aes", "256"} {
		bits := bits
		signedEnc := func() []byte { return s.signInPlace(t, qpdfEncrypt(t, prepared(""), "", bits)) }
		rows = append(rows,
			redRow{"encrypted-" + bits + ": signed, opens without a password, verified", signedEnc, StatusValid, ""},
			redRow{"encrypted-" + bits + "-flip: one encrypted byte of the signed range changed", func() []byte {
				d := signedEnc()
				a, b := objectSpan(t, d, contentObjNum(t, d))
				i := bytes.Index(d[a:b], []byte("stream")) + a + 10
				d[i] ^= 0x01
				return d
			}, StatusInvalid, ""},
			redRow{"encrypted-" + bits + "-content-replaced: a later revision puts other encrypted content on the page", func() []byte {
				if bits == "256" {
					// AES-256 file keys are random per qpdf run, so no second qpdf run can
					// encrypt the evil content under this file's key.
					return nil
				}
				d := signedEnc()
				evil := qpdfEncrypt(t, prepared("(Pay 5 yuan)"), "", bits)
				n := contentObjNum(t, d)
				a, b := objectSpan(t, evil, n)
				return appendObjects(t, d, map[int][]byte{n: evil[a:b]}, "")
			}, StatusModified, "was changed"},
		)
	}
	runRedRows(t, s, rows)

	// Refused with a clear error, not read as something else.
	t.Run("needs a user password", func(t *testing.T) {
		d := s.signInPlace(t, qpdfEncrypt(t, prepared(""), "user-pw", "128aes"))
		_, err := Verify(context.Background(), bytes.NewReader(d), int64(len(d)), "x.pdf", nil)
		if err == nil || !strings.Contains(err.Error(), "password") {
			t.Fatalf("err %v, want unreadable naming the password", err)
		}
	})
	t.Run("revisions disagree about /Encrypt", func(t *testing.T) {
		d := s.signInPlace(t, qpdfEncrypt(t, prepared(""), "", "128"))
		n := contentObjNum(t, d)
		d = appendObjects(t, d, map[int][]byte{n: []byte(fmt.Sprintf("%d 0 obj\n<</Length 41>>stream\n%s\nendstream\nendobj", n, redEvil))}, "/Encrypt null")
		_, err := Verify(context.Background(), bytes.NewReader(d), int64(len(d)), "x.pdf", nil)
		if err == nil || !strings.Contains(err.Error(), "disagree") {
			t.Fatalf("err %v, want unreadable: revisions disagree about /Encrypt", err)
		}
	})
}

// TestRedTeamEncryptNull: "/Encrypt null" in an xref stream (Acrobat writes it) is no
// encryption; a later revision that starts encrypting the signed document is refused.
func TestRedTeamEncryptNull(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	base, _ := makeDoc(docOpts{xrefStream: true})
	withNull := bytes.Replace(base, []byte("/Type/XRef"), []byte("/Type/XRef/Encrypt null"), 1)
	if bytes.Equal(withNull, base) {
		t.Fatal("no xref stream to edit")
	}
	runRedRows(t, s, []redRow{
		{"encrypt-null: /Encrypt null in the xref stream, signed", func() []byte { return s.sign(t, withNull, sigOpts{}) }, StatusValid, ""},
		{"encrypt-null-indirect: /Encrypt naming a null object", func() []byte {
			d := bytes.Replace(base, []byte("/Type/XRef"), []byte("/Type/XRef/Encrypt 10 0 R"), 1)
			return s.sign(t, d, sigOpts{})
		}, StatusValid, ""},
	})
	t.Run("encrypt-added-later: a later revision's trailer names an /Encrypt dictionary", func(t *testing.T) {
		d := s.sign(t, withNull, sigOpts{})
		d = appendObjects(t, d, map[int][]byte{30: []byte("30 0 obj\n<</Filter/Standard/V 2/R 3/Length 128/P -4/O <00>/U <00>>>\nendobj")}, "/Encrypt 30 0 R")
		_, err := Verify(context.Background(), bytes.NewReader(d), int64(len(d)), "x.pdf", nil)
		if err == nil || !strings.Contains(err.Error(), "disagree") {
			t.Fatalf("err %v, want unreadable: revisions disagree about /Encrypt", err)
		}
	})
}
