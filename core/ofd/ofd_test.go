package ofd

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"hash/crc32"
	"strings"
	"testing"
)

// A minimal signed package: OFD.xml, Document.xml, one page, Signatures.xml, Signature.xml.
var minimal = []zipEntry{
	{"OFD.xml", `<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot><ofd:Signatures>/Doc_0/Signs/Signatures.xml</ofd:Signatures></ofd:DocBody></ofd:OFD>`},
	{"Doc_0/Document.xml", `<ofd:Document xmlns:ofd="http://www.ofdspec.org/2016"><ofd:CommonData><ofd:PageArea><ofd:PhysicalBox>0 0 210 140</ofd:PhysicalBox></ofd:PageArea></ofd:CommonData><ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>`},
	{"Doc_0/Pages/Page_0/Content.xml", `<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"/>`},
	{"Doc_0/Signs/Signatures.xml", `<ofd:Signatures xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Signature ID="1" BaseLoc="Sign_0/Signature.xml"/></ofd:Signatures>`},
	{"Doc_0/Signs/Sign_0/Signature.xml", `<ofd:Signature xmlns:ofd="http://www.ofdspec.org/2016"><ofd:SignedInfo><ofd:Provider><ofd:ProviderName>iOFD</ofd:ProviderName></ofd:Provider><ofd:References CheckMethod="sm3"><ofd:Reference FileRef="../../Document.xml"><ofd:CheckValue>AAEC</ofd:CheckValue></ofd:Reference></ofd:References><ofd:StampAnnot ID="5" PageRef="1" Boundary="10 20 40 40" Clip="0 0 20 20"/></ofd:SignedInfo><ofd:SignedValue>SignedValue.dat</ofd:SignedValue></ofd:Signature>`},
	{"Doc_0/Signs/Sign_0/SignedValue.dat", "\x30\x00"},
}

type zipEntry struct{ name, data string }

func buildZip(t testing.TB, entries []zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, e := range entries {
		f, err := w.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(e.data))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func open(b []byte, lim *Limits) (*Package, error) {
	return Open(context.Background(), bytes.NewReader(b), int64(len(b)), lim)
}

func TestMinimal(t *testing.T) {
	p, err := open(buildZip(t, minimal), nil)
	if err != nil {
		t.Fatal(err)
	}
	d := p.Documents[0]
	if d.PhysicalBox != (Box{0, 0, 210, 140}) || len(d.Pages) != 1 || d.Pages[0].Loc != "Doc_0/Pages/Page_0/Content.xml" {
		t.Fatalf("document %+v", d)
	}
	s := d.Signatures[0]
	if s.Err != nil || s.Type != "Seal" || s.Loc != "Doc_0/Signs/Sign_0/Signature.xml" || s.ValueLoc != "Doc_0/Signs/Sign_0/SignedValue.dat" {
		t.Fatalf("signature %+v", s)
	}
	if s.Info.ProviderName != "iOFD" || s.Info.CheckMethod != "sm3" {
		t.Errorf("provider as child elements, check method: %+v", s.Info)
	}
	r := s.Info.References[0]
	if r.Loc != "Doc_0/Document.xml" || !bytes.Equal(r.Value, []byte{0, 1, 2}) || r.Err != nil {
		t.Errorf("reference %+v", r)
	}
	st := s.Info.StampAnnots[0]
	if st.PageRef != "1" || st.Boundary != (Box{10, 20, 40, 40}) || !st.HasClip {
		t.Errorf("stamp %+v", st)
	}
}

func TestResolve(t *testing.T) {
	for _, c := range []struct{ base, loc, want string }{
		{"OFD.xml", "Doc_0/Document.xml", "Doc_0/Document.xml"},
		{"OFD.xml", "/Doc_0/Document.xml", "Doc_0/Document.xml"},
		{"Doc_0/Signs/Signatures.xml", "Sign_0/Signature.xml", "Doc_0/Signs/Sign_0/Signature.xml"},
		{"Doc_0/Signs/Sign_0/Signature.xml", "../../Pages/./Page_0/Content.xml", "Doc_0/Pages/Page_0/Content.xml"},
		{"Doc_0/Document.xml", "../../x", ""},
		{"OFD.xml", "/../x", ""},
		{"OFD.xml", `Doc_0\x`, ""},
		{"OFD.xml", "  ", ""},
	} {
		got, err := Resolve(c.base, c.loc)
		if got != c.want || (c.want == "") != (err != nil) {
			t.Errorf("Resolve(%q, %q) = %q, %v; want %q", c.base, c.loc, got, err, c.want)
		}
	}
}

// ZIP tricks are refused with an error that names them; nothing panics.
func TestZipTricks(t *testing.T) {
	with := func(extra ...zipEntry) []byte {
		return buildZip(t, append(append([]zipEntry(nil), minimal...), extra...))
	}
	zeros := strings.Repeat("\x00", 3<<20)
	cases := []struct {
		name string
		data []byte
		lim  *Limits
		want error
		says string
	}{
		{"duplicate name", with(zipEntry{"Doc_0/Document.xml", "<x/>"}), nil, ErrDuplicateEntry, "Doc_0/Document.xml"},
		{"dot-dot name", with(zipEntry{"../evil.txt", "x"}), nil, ErrUnsafePath, "../evil.txt"},
		{"inner dot-dot", with(zipEntry{"Doc_0/../../evil.txt", "x"}), nil, ErrUnsafePath, "evil"},
		{"absolute name", with(zipEntry{"/etc/passwd", "x"}), nil, ErrUnsafePath, "/etc/passwd"},
		{"backslash", with(zipEntry{`Doc_0\..\..\evil`, "x"}), nil, ErrUnsafePath, "evil"},
		{"bomb by ratio", with(zipEntry{"Doc_0/Res/bomb.bin", zeros}), nil, ErrLimit, "MaxRatio"},
		{"entry too big", with(zipEntry{"Doc_0/Res/big.bin", zeros}), &Limits{MaxEntrySize: 1 << 20}, ErrLimit, "MaxEntrySize"},
		{"total too big", with(zipEntry{"a", zeros[:600<<10]}, zipEntry{"b", zeros[:600<<10]}), &Limits{MaxTotalSize: 1 << 20}, ErrLimit, "MaxTotalSize"},
		{"too many entries", with(zipEntry{"a", "1"}, zipEntry{"b", "2"}), &Limits{MaxEntries: 7}, ErrLimit, "MaxEntries"},
		{"not a zip", []byte("%PDF-1.7 not an OFD"), nil, ErrNotOFD, "zip"},
		{"no OFD.xml", buildZip(t, minimal[1:]), nil, ErrNotOFD, "OFD.xml"},
		{"lying header", lyingZip(t), nil, ErrNotOFD, "bomb"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := open(c.data, c.lim)
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("err = %v, want %v naming %q", err, c.want, c.says)
			}
		})
	}
	// A context that is done stops the work.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := buildZip(t, minimal)
	if _, err := Open(ctx, bytes.NewReader(b), int64(len(b)), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// lyingZip declares 100 bytes for an entry that inflates to 4 MiB.
func lyingZip(t *testing.T) []byte {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, e := range minimal {
		f, _ := w.Create(e.name)
		f.Write([]byte(e.data))
	}
	data := make([]byte, 4<<20)
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	fw.Write(data)
	fw.Close()
	f, err := w.CreateRaw(&zip.FileHeader{Name: "Doc_0/Res/bomb.bin", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(data[:100]),
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: 100})
	if err != nil {
		t.Fatal(err)
	}
	f.Write(comp.Bytes())
	w.Close()
	return buf.Bytes()
}

// Signature parts that are missing or broken are recorded on the signature, not fatal.
func TestBrokenSignatureParts(t *testing.T) {
	entries := append([]zipEntry(nil), minimal...)
	entries[4] = zipEntry{"Doc_0/Signs/Sign_0/Signature.xml", "<ofd:Signature"}
	p, err := open(buildZip(t, entries), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := p.Documents[0].Signatures[0]; s.Err == nil {
		t.Error("unparsable Signature.xml not recorded")
	}
	entries = append([]zipEntry(nil), minimal[:4]...)
	p, err = open(buildZip(t, entries), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := p.Documents[0].Signatures[0]; !errors.Is(s.Err, ErrMissingPart) {
		t.Errorf("missing Signature.xml: %v", s.Err)
	}
}

func FuzzOpen(f *testing.F) {
	f.Add(buildZip(f, minimal))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Open(context.Background(), bytes.NewReader(b), int64(len(b)), &Limits{MaxEntrySize: 1 << 20, MaxTotalSize: 4 << 20})
		if err != nil {
			return
		}
		for _, d := range p.Documents {
			for _, s := range d.Signatures {
				if s.Err == nil && s.ValueLoc == "" {
					t.Fatal("signature without value location and without error")
				}
			}
		}
	})
}

// TestLargeEntriesNotHeld (red team s10 DoS 4: four referenced entries of 60 MiB were held at
// once, 445 MB for a 3 MB file): an entry over heldEntrySize is not read when the package is
// opened; Part and Open read it from the archive, exactly, and one whose data is longer than
// its header declares cannot be read at all.
func TestLargeEntriesNotHeld(t *testing.T) {
	big := make([]byte, 3<<20)
	x := uint32(1)
	for i := range big {
		x = x*1664525 + 1013904223 // pseudo-random: barely compresses
		big[i] = byte(x >> 24)
	}
	p, err := open(buildZip(t, append(append([]zipEntry(nil), minimal...), zipEntry{"Doc_0/Res/big.bin", string(big)})), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, held := p.parts["Doc_0/Res/big.bin"]; held || p.lazy["Doc_0/Res/big.bin"] == nil {
		t.Fatalf("the large entry is held (%v) or unknown", held)
	}
	if b, ok := p.Part("/Doc_0/Res/big.bin"); !ok || !bytes.Equal(b, big) {
		t.Errorf("Part: %v, %d bytes", ok, len(b))
	}
	rc, ok := p.Open("Doc_0/Res/big.bin")
	if !ok {
		t.Fatal("Open: absent")
	}
	var got bytes.Buffer
	if _, err := got.ReadFrom(rc); err != nil || !bytes.Equal(got.Bytes(), big) {
		t.Errorf("Open: %v, %d bytes", err, got.Len())
	}
	rc.Close()
	if !strings.Contains(strings.Join(p.Names(), " "), "Doc_0/Res/big.bin") {
		t.Errorf("names %v", p.Names())
	}

	// Declared as 2 MiB (not held), inflating to 4 MiB.
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, e := range minimal {
		f, _ := w.Create(e.name)
		f.Write([]byte(e.data))
	}
	data := make([]byte, 4<<20)
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestSpeed)
	fw.Write(data)
	fw.Close()
	f, err := w.CreateRaw(&zip.FileHeader{Name: "Doc_0/Res/liar.bin", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(data[:2<<20]),
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: 2 << 20})
	if err != nil {
		t.Fatal(err)
	}
	f.Write(comp.Bytes())
	w.Close()
	p, err = open(buf.Bytes(), &Limits{MaxRatio: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if b, ok := p.Part("Doc_0/Res/liar.bin"); ok {
		t.Errorf("an entry longer than declared was read: %d bytes", len(b))
	}
	rc, _ = p.Open("Doc_0/Res/liar.bin")
	if _, err := new(bytes.Buffer).ReadFrom(rc); err == nil {
		t.Error("Open: an entry longer than declared read without an error")
	}
}
