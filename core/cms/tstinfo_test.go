package cms_test

import (
	"encoding/asn1"
	"math/big"
	"strings"
	"testing"
	"time"

	"sealdesk/core/cms"
)

// tstInfoDER builds a TSTInfo with the fields RFC 3161 requires and the optional ones given
// as encoded elements, in the order given.
func tstInfoDER(t testing.TB, genTime string, optional ...[]byte) []byte {
	t.Helper()
	enc := func(v any) []byte {
		b, err := asn1.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	body := append(enc(1), enc(asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1})...)
	body = append(body, enc(struct {
		Alg    struct{ OID asn1.ObjectIdentifier }
		Digest []byte
	}{struct{ OID asn1.ObjectIdentifier }{cms.OIDSHA256}, make([]byte, 32)})...)
	body = append(body, enc(big.NewInt(0x1234))...)
	body = append(body, cms.EncodeTLV(0, cms.TagGenTime, false, []byte(genTime))...)
	for _, o := range optional {
		body = append(body, o...)
	}
	return cms.EncodeTLV(0, cms.TagSequence, true, body)
}

// TestParseTSTInfo: the one TSTInfo reader of core/tsa and core/verify reads every field of a
// well-formed token and lists as flaws what RFC 3161 §2.4.2 does not allow, so that the two
// packages cannot disagree on a token's time.
func TestParseTSTInfo(t *testing.T) {
	integer := func(tag int, v int) []byte {
		b, _ := asn1.Marshal(v)
		if tag >= 0 {
			b[0] = 0x80 | byte(tag)
		}
		return b
	}
	accuracy := func(parts ...[]byte) []byte {
		var body []byte
		for _, p := range parts {
			body = append(body, p...)
		}
		return cms.EncodeTLV(0, cms.TagSequence, true, body)
	}
	ordering := cms.EncodeTLV(0, cms.TagBoolean, false, []byte{0xff})
	nonce := integer(-1, 77)
	ext := func(critical bool) []byte {
		e := cms.EncodeTLV(0, cms.TagOID, false, []byte{0x2b, 0x06, 0x01})
		if critical {
			e = append(e, 0x01, 0x01, 0xff)
		}
		e = append(e, cms.EncodeTLV(0, cms.TagOctetString, false, []byte{5, 0})...)
		return cms.EncodeTLV(2, 1, true, cms.EncodeTLV(0, cms.TagSequence, true, e))
	}

	ti, err := cms.ParseTSTInfo(tstInfoDER(t, "20260504030201.25Z", accuracy(integer(-1, 2), integer(0, 5), integer(1, 7)), ordering, nonce, ext(false)))
	if err != nil {
		t.Fatal(err)
	}
	if ti.Version != 1 || !ti.Policy.Equal(asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}) || ti.ImprintAlg != "2.16.840.1.101.3.4.2.1" ||
		len(ti.Imprint) != 32 || ti.Serial.Int64() != 0x1234 || !ti.GenTime.Equal(time.Date(2026, 5, 4, 3, 2, 1, 250e6, time.UTC)) ||
		ti.Accuracy != 2*time.Second+5*time.Millisecond+7*time.Microsecond || !ti.Ordering || ti.Nonce.Int64() != 77 || len(ti.Flaws) != 0 {
		t.Fatalf("read %+v", ti)
	}

	flawed := []struct {
		name string
		der  []byte
		flaw string
	}{
		{"genTime with an offset", tstInfoDER(t, "20260504170201+1400"), "not a DER GeneralizedTime"},
		{"genTime without Z", tstInfoDER(t, "20260504030201"), "not a DER GeneralizedTime"},
		{"accuracy millis 0", tstInfoDER(t, "20260504030201Z", accuracy(integer(0, 0))), "accuracy is malformed"},
		{"accuracy millis 1000", tstInfoDER(t, "20260504030201Z", accuracy(integer(0, 1000))), "accuracy is malformed"},
		{"accuracy over a year", tstInfoDER(t, "20260504030201Z", accuracy(integer(-1, 367*24*3600))), "accuracy is malformed"},
		{"micros before millis", tstInfoDER(t, "20260504030201Z", accuracy(integer(1, 5), integer(0, 5))), "accuracy is malformed"},
		{"nonce before accuracy", tstInfoDER(t, "20260504030201Z", nonce, accuracy(integer(-1, 1))), "out of order"},
		{"two nonces", tstInfoDER(t, "20260504030201Z", nonce, nonce), "out of order"},
		{"an undefined element", tstInfoDER(t, "20260504030201Z", cms.EncodeTLV(0, cms.TagOctetString, false, []byte{1})), "does not define"},
		{"a critical extension", tstInfoDER(t, "20260504030201Z", ext(true)), "critical extension 1.3.6.1"},
	}
	for _, c := range flawed {
		ti, err := cms.ParseTSTInfo(c.der)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if len(ti.Flaws) == 0 || !strings.Contains(strings.Join(ti.Flaws, "; "), c.flaw) {
			t.Errorf("%s: flaws %q, want %q", c.name, ti.Flaws, c.flaw)
		}
	}

	good := tstInfoDER(t, "20260504030201Z")
	for _, bad := range [][]byte{good[:len(good)-1], append(append([]byte{}, good...), 0), cms.EncodeTLV(0, cms.TagSequence, true, nil), {}} {
		if _, err := cms.ParseTSTInfo(bad); err == nil {
			t.Errorf("% x: parsed", bad)
		}
	}
}

// FuzzParseTSTInfo: any bytes are read or refused without a panic; what is read has a serial
// and a time.
func FuzzParseTSTInfo(f *testing.F) {
	f.Add(tstInfoDER(f, "20260504030201Z"))
	f.Add(tstInfoDER(f, "20260504030201.5Z", cms.EncodeTLV(0, cms.TagSequence, true, []byte{2, 1, 1, 0x80, 1, 5})))
	f.Add(tstInfoDER(f, "20260504170201+1400", cms.EncodeTLV(2, 1, true, nil)))
	f.Add([]byte{0x30, 0x80, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		ti, err := cms.ParseTSTInfo(b)
		if err != nil {
			return
		}
		if ti.Serial == nil || ti.GenTime.IsZero() || ti.Accuracy < 0 || ti.Accuracy > cms.MaxAccuracy+2*time.Second {
			t.Fatalf("read %+v", ti)
		}
	})
}
