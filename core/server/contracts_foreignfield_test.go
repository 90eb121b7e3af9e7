package server_test

import (
	"os"
	"path/filepath"
	"testing"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/sign"
)

// A signer of a "现在发送" contract places their own boxes; they must not place the next party's
// box (platform red team: P1 added an empty R2.a field at a spot of his choosing, and P2 was
// given that box). The twin — only the signer's own box — is accepted.
func TestContractsSignerCannotPlaceOthersBox(t *testing.T) {
	e := startContracts(t, openBolt(t), nil)
	a, b, c := newParty(t, e, "王菲菲"), newParty(t, e, "李四"), newParty(t, e, "孟良华")
	files := []client.NamedFile{{Name: "合同.pdf", Data: pdfBytes(t, 1, "contract")}}
	env := sendTo(t, a, "现在发送合同", files, []api.Recipient{person(b), person(c)}, nil)
	signWith := func(specs []sign.FieldSpec, field string) []byte {
		t.Helper()
		cur, err := b.c.EnvelopeDocument(ctx, env.ID, 0, "")
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		in, mid, out := filepath.Join(dir, "in.pdf"), filepath.Join(dir, "mid.pdf"), filepath.Join(dir, "out.pdf")
		os.WriteFile(in, cur, 0o600)
		if err := sign.AddFields(in, mid, specs); err != nil {
			t.Fatal(err)
		}
		if _, err := sign.SignFile(ctx, mid, out, &sign.Options{Signer: b.key, Cert: b.cert, Chain: b.chain, Field: field}); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(out)
		return data
	}
	box := func(name string, x float64) sign.FieldSpec {
		return sign.FieldSpec{Name: name, Page: 1, Rect: sign.VisibleRect{X1: x, Y1: 100, X2: x + 100, Y2: 150}}
	}
	foreign := signWith([]sign.FieldSpec{box("R1.a", 100), box("R2.a", 300)}, "R1.a")
	_, err := b.c.UploadRevision(ctx, client.NewIdempotencyKey(), env.ID, 0, foreign)
	wantCode(t, err, "foreign_field")
	own := signWith([]sign.FieldSpec{box("R1.a", 100)}, "R1.a")
	if _, err := b.c.UploadRevision(ctx, client.NewIdempotencyKey(), env.ID, 0, own); err != nil {
		t.Fatalf("own box: %v", err)
	}
}
