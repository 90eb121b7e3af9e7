package server_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sealdesk/core/pdf/render"
	"strings"
	"testing"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/entseal"
	"sealdesk/core/org"
	"sealdesk/core/pki/pkitest"
	"sealdesk/core/sealkey"
	"sealdesk/core/sealkey/pkcs11key"
	"sealdesk/core/sealkey/pkcs11key/softhsmtest"
	"sealdesk/core/server"
	"sealdesk/core/sync"
	"sealdesk/core/verify"
)

var sealCodeRE = regexp.MustCompile(`用印验证码是 ([0-9]{6})`)

// sealCode asks for a signing code and reads it from the dev outbox.
func (e *env) sealCode(t testing.TB, c *client.Client, login, eid, sid string) (string, string) {
	t.Helper()
	tk, err := c.SealCode(ctx, eid, sid)
	if err != nil {
		t.Fatalf("seal code: %v", err)
	}
	msgs := e.run.Server.Outbox().Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if m := sealCodeRE.FindStringSubmatch(msgs[i].Body); m != nil && msgs[i].To == login {
			return tk.CodeID, m[1]
		}
	}
	t.Fatalf("no seal code for %s", login)
	return "", ""
}

// member is one person of the test enterprise.
type member struct {
	c     *client.Client
	id    string
	login string
	name  string
}

func (e *env) person(t testing.TB, name string) member {
	login := newPhone()
	c := e.client(t)
	if err := c.SendCode(ctx, login, org.PurposeRegister); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Register(ctx, org.RegisterRequest{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: login, Code: e.lastCode(t, login), Name: name, Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	me, err := c.Me(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return member{c: c, id: me.ID, login: login, name: name}
}

// join makes m a member of eid (the enterprise helper's invitation flow is another issue's; the
// membership record is written through org.PutMember as that flow does).
func (e *env) join(t testing.TB, eid string, m member, disabled bool) {
	t.Helper()
	err := e.store.Update(ctx, func(tx sync.Tx) error {
		return org.PutMember(tx, org.Member{EnterpriseID: eid, AccountID: m.id, Name: m.name, Phone: m.login, Role: org.RoleMember,
			Disabled: disabled, Joined: time.Now().UTC()})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func startSeals(t *testing.T, st sync.Store, vault sealkey.Vault) *env {
	e := &env{store: st, clock: &clock{}, key: masterKey()}
	run, err := server.Start(ctx, server.Options{Store: st, MasterKey: e.key, Dev: true, Now: e.clock.Now, SealVault: vault,
		PollInterval: 50 * time.Millisecond}, server.ListenOptions{TLS: true, PKIAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	e.run = run
	t.Cleanup(func() { run.Shutdown(ctx) })
	return e
}

// TestEnterpriseSealEndToEnd is issue 16's journey on both stores with software keys.
func TestEnterpriseSealEndToEnd(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) { sealJourney(t, startSeals(t, open(t), nil), "software") })
	}
}

// TestEnterpriseSealEndToEndSoftHSM is the same journey with the seal keys on a SoftHSM2 token.
func TestEnterpriseSealEndToEndSoftHSM(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			v, err := pkcs11key.Open(softhsmtest.Token(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { v.Close() })
			sealJourney(t, startSeals(t, open(t), v), "pkcs11")
		})
	}
}

// sealMarks is one seal box on page 1, as the desktop asks for it.
func sealMarks(det api.SealDetail) []api.SealMark {
	return []api.SealMark{{Page: 1, Rect: [4]float64{360, 80, 480, 200}, Reason: verify.MarkReason(verify.MarkSeal, det.Name)}}
}

// signPDF seals in → out through the server, as the desktop seals a local file: the file goes
// to the server, which prepares and signs the seal signature itself and answers the update.
func signPDF(t *testing.T, e *env, m member, eid string, det api.SealDetail, codeID, code, in, out string) (api.SealSignResponse, error) {
	t.Helper()
	doc, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	sealed, resp, err := m.c.SealDocument(ctx, eid, det.ID, doc, api.SealSignRequest{CodeID: codeID, Code: code, Marks: sealMarks(det),
		Device: "e2e-test"}, 0)
	if err != nil {
		return resp, err
	}
	if err := os.WriteFile(out, sealed, 0o600); err != nil {
		t.Fatal(err)
	}
	return resp, nil
}

func uses(t *testing.T, admin member, eid string) []api.SealUse {
	t.Helper()
	l, err := admin.c.SealUses(ctx, eid, client.SealUseQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return l.Uses
}

func sealJourney(t *testing.T, e *env, keyStore string) {
	admin := e.person(t, "王管理")
	b, c, d, x := e.person(t, "李乙"), e.person(t, "陈丙"), e.person(t, "赵丁"), e.person(t, "外企员工")
	code := creditCode(t, "91330106MA27XY012")
	ent, err := admin.c.CreateEnterprise(ctx, "杭州示例科技有限公司", code)
	if err != nil {
		t.Fatal(err)
	}
	eid := ent.ID
	for _, m := range []member{b, c, d} {
		e.join(t, eid, m, false)
	}
	// Another enterprise with its own seal.
	other, err := x.c.CreateEnterprise(ctx, "另一家有限公司", creditCode(t, "91110000600001000"))
	if err != nil {
		t.Fatal(err)
	}
	png := testImage(t, "png")
	otherSeal, err := x.c.CreateSeal(ctx, other.ID, api.SealCreateRequest{Name: "公章", Kind: api.SealOfficial, WidthMM: 42, HeightMM: 42, Image: png})
	if err != nil {
		t.Fatal(err)
	}

	// The admin creates the seal; a member without seals.manage cannot.
	req := api.SealCreateRequest{Name: "合同专用章", Kind: api.SealContract, WidthMM: 42, HeightMM: 42, Image: png}
	_, err = b.c.CreateSeal(ctx, eid, req)
	wantCode(t, err, "permission_denied")
	seal, err := admin.c.CreateSeal(ctx, eid, req)
	if err != nil {
		t.Fatal(err)
	}
	if seal.KeyStore != keyStore {
		t.Fatalf("key store %q, want %q", seal.KeyStore, keyStore)
	}
	// Members hear of it through the enterprise's scope.
	p, err := b.c.Pull(ctx, org.EnterpriseScope(eid), 0, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ev := range p.Events {
		found = found || ev.Type == "seal.created"
	}
	if !found {
		t.Fatalf("no seal.created event for members: %+v", p.Events)
	}

	// Grant to B for one hour; B signs a PDF through the endpoint.
	grant, err := admin.c.GrantSeal(ctx, eid, seal.ID, api.SealGrantRequest{MemberID: b.id, NotAfter: e.clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	list, err := b.c.Seals(ctx, eid)
	if err != nil || len(list.Seals) != 1 || !list.Seals[0].Usable || list.CanManage {
		t.Fatalf("B's seals: %+v %v", list, err)
	}
	det, err := b.c.Seal(ctx, eid, seal.ID)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "contract.pdf")
	onePagePDF(t, in)
	signed := filepath.Join(dir, "signed-b.pdf")
	codeID, sc := e.sealCode(t, b.c, b.login, eid, seal.ID)
	if _, err := signPDF(t, e, b, eid, det, codeID, sc, in, signed); err != nil {
		t.Fatalf("B signs: %v", err)
	}
	checkSealedPDF(t, e, signed, "杭州示例科技有限公司", code, b.name)
	if n := len(uses(t, admin, eid)); n != 1 {
		t.Fatalf("log after B's signature: %d lines", n)
	}

	// Revoke: B's next try is refused, even with a code obtained before.
	codeID, sc = e.sealCode(t, b.c, b.login, eid, seal.ID)
	if _, err := admin.c.RevokeSealGrant(ctx, eid, grant.ID); err != nil {
		t.Fatal(err)
	}
	_, err = signPDF(t, e, b, eid, det, codeID, sc, in, filepath.Join(dir, "refused.pdf"))
	wantCode(t, err, "seal_not_granted")
	if _, err := os.Stat(filepath.Join(dir, "refused.pdf")); !os.IsNotExist(err) {
		t.Fatal("a refused signature left a file")
	}

	// C applies, the admin approves, C hears of it and signs.
	app, err := c.c.ApplySeal(ctx, eid, seal.ID, api.SealApplyRequest{Reason: "签署年度采购合同", NotAfter: e.clock.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.c.DecideSealApplication(ctx, eid, app.ID, true, "")
	wantCode(t, err, "permission_denied")
	inbox, err := admin.c.SealApplications(ctx, eid, api.ApplicationPending)
	if err != nil || len(inbox) != 1 || inbox[0].ApplicantName != c.name {
		t.Fatalf("inbox: %+v %v", inbox, err)
	}
	if _, err := admin.c.DecideSealApplication(ctx, eid, app.ID, true, "同意"); err != nil {
		t.Fatal(err)
	}
	told := false
	for _, m := range e.run.Server.Outbox().Messages() {
		told = told || (m.To == c.login && strings.Contains(m.Body, "已获批准"))
	}
	cp, err := c.c.Pull(ctx, org.Scope(c.id), 0, 100, 0)
	heard := false
	for _, ev := range cp.Events {
		heard = heard || ev.Type == "seal.application_decided"
	}
	if !told || !heard || err != nil {
		t.Fatalf("applicant not told: notifier %v, sync %v (%v)", told, heard, err)
	}
	codeID, sc = e.sealCode(t, c.c, c.login, eid, seal.ID)
	signedC := filepath.Join(dir, "signed-c.pdf")
	if _, err := signPDF(t, e, c, eid, det, codeID, sc, in, signedC); err != nil {
		t.Fatalf("C signs: %v", err)
	}
	checkSealedPDF(t, e, signedC, "杭州示例科技有限公司", code, c.name)

	// Codes: wrong, replayed, expired; bad inputs.
	doc, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	docSum := sha256.Sum256(doc)
	docHash := hex.EncodeToString(docSum[:])
	codeID, sc = e.sealCode(t, c.c, c.login, eid, seal.ID)
	wrong := "000000"
	if sc == wrong {
		wrong = "111111"
	}
	sreq := api.SealSignRequest{CodeID: codeID, Code: wrong, DocumentSHA256: docHash, PDF: doc, Marks: sealMarks(det)}
	_, _, err = c.c.SealSign(ctx, eid, seal.ID, "k-wrong", sreq)
	wantCode(t, err, "code_invalid")
	sreq.Marks = nil
	sreq.Code = sc
	_, _, err = c.c.SealSign(ctx, eid, seal.ID, "k-nomarks", sreq)
	wantCode(t, err, "bad_marks")
	sreq.Marks = sealMarks(det)
	_, _, err = c.c.SealSign(ctx, eid, "seal_0000", "k-unknown", sreq)
	wantCode(t, err, "seal_not_found")
	_, _, err = c.c.SealSign(ctx, eid, otherSeal.ID, "k-other", sreq)
	wantCode(t, err, "seal_not_found")
	_, _, err = c.c.SealSign(ctx, other.ID, otherSeal.ID, "k-other2", sreq)
	wantCode(t, err, "not_member")
	r1, rep, err := c.c.SealSign(ctx, eid, seal.ID, "k-good", sreq)
	if err != nil || rep || len(r1.Update) == 0 || len(r1.UseIDs) != 1 {
		t.Fatalf("sign: %v replayed=%v", err, rep)
	}
	r2, rep, err := c.c.SealSign(ctx, eid, seal.ID, "k-good", sreq)
	if err != nil || !rep || !bytes.Equal(r1.Update, r2.Update) || r1.UseID != r2.UseID {
		t.Fatalf("retry with the same key: %v replayed=%v", err, rep)
	}
	_, _, err = c.c.SealSign(ctx, eid, seal.ID, "k-replay", sreq)
	wantCode(t, err, "code_invalid")
	// The server's own signing on a contract (core/websign's page does this) indexes the use
	// for the contract flow.
	codeID, sc = e.sealCode(t, c.c, c.login, eid, seal.ID)
	digest := sha256.Sum256([]byte("signed attributes"))
	if _, _, err := e.run.Server.Seals().Sign(ctx, entseal.SignInput{EnterpriseID: eid, SealID: seal.ID, Actor: c.id, IdempotencyKey: "k-web",
		ServerPrepared: true, Request: api.SealSignRequest{Digest: digest[:], CodeID: codeID, Code: sc, ContractID: "env_e2e_1", DocumentSHA256: docHash}}); err != nil {
		t.Fatal(err)
	}
	// The contract flow accepts that signature as C's for the company recipient, not B's, not
	// for another contract or another company.
	check := e.run.Server.Envelopes().SignerCheck
	envl := api.Envelope{ID: "env_e2e_1", Recipients: []api.RecipientState{{Recipient: api.Recipient{Kind: api.RecipientCompany, Company: "杭州示例科技有限公司"}}}}
	for _, tc := range []struct {
		env     api.Envelope
		account string
		want    bool
	}{{envl, c.id, true}, {envl, b.id, false}, {api.Envelope{ID: "env_other", Recipients: envl.Recipients}, c.id, false},
		{api.Envelope{ID: "env_e2e_1", Recipients: []api.RecipientState{{Recipient: api.Recipient{Kind: api.RecipientCompany, Company: "别家公司"}}}}, c.id, false}} {
		var ok bool
		if err := e.store.View(ctx, func(tx sync.Tx) error {
			var err error
			ok, err = check(tx, tc.env, 0, tc.account, seal.Serial)
			return err
		}); err != nil || ok != tc.want {
			t.Fatalf("contract signer check %s/%s: %v %v, want %v", tc.env.ID, tc.account, ok, err, tc.want)
		}
	}
	codeID, sc = e.sealCode(t, c.c, c.login, eid, seal.ID)
	e.clock.Advance(5*time.Minute + time.Second)
	_, _, err = c.c.SealSign(ctx, eid, seal.ID, "k-expired", api.SealSignRequest{CodeID: codeID, Code: sc, DocumentSHA256: docHash, PDF: doc, Marks: sealMarks(det)})
	wantCode(t, err, "code_invalid")

	// A grant that ended one second ago.
	if _, err := admin.c.GrantSeal(ctx, eid, seal.ID, api.SealGrantRequest{MemberID: d.id, NotAfter: e.clock.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	codeID, sc = e.sealCode(t, d.c, d.login, eid, seal.ID)
	e.clock.Advance(time.Minute + time.Second)
	_, _, err = d.c.SealSign(ctx, eid, seal.ID, "k-d", api.SealSignRequest{CodeID: codeID, Code: sc, DocumentSHA256: docHash, PDF: doc, Marks: sealMarks(det)})
	wantCode(t, err, "seal_not_granted")

	// A disabled member with a valid grant.
	if _, err := admin.c.GrantSeal(ctx, eid, seal.ID, api.SealGrantRequest{MemberID: d.id}); err != nil {
		t.Fatal(err)
	}
	codeID, sc = e.sealCode(t, d.c, d.login, eid, seal.ID)
	e.join(t, eid, d, true)
	_, _, err = d.c.SealSign(ctx, eid, seal.ID, "k-d2", api.SealSignRequest{CodeID: codeID, Code: sc, DocumentSHA256: docHash, PDF: doc, Marks: sealMarks(det)})
	wantCode(t, err, "member_disabled")

	// Discarded: C's grant no longer helps; the history stays.
	codeID, sc = e.sealCode(t, c.c, c.login, eid, seal.ID)
	if _, err := admin.c.DiscardSeal(ctx, eid, seal.ID); err != nil {
		t.Fatal(err)
	}
	_, _, err = c.c.SealSign(ctx, eid, seal.ID, "k-discarded", api.SealSignRequest{CodeID: codeID, Code: sc, DocumentSHA256: docHash, PDF: doc, Marks: sealMarks(det)})
	wantCode(t, err, "seal_discarded")

	// Every use exactly once: B's PDF, C's PDF, C's request (retried once), the server's own.
	all := uses(t, admin, eid)
	if len(all) != 4 {
		t.Fatalf("log has %d lines, want 4: %+v", len(all), all)
	}
	if all[0].MemberID != b.id || all[1].MemberID != c.id || all[2].ID != r1.UseID || all[2].Device != "" || all[0].Device != "e2e-test" ||
		all[2].DocumentSHA256 != docHash || all[3].ContractID != "env_e2e_1" {
		t.Fatalf("log: %+v", all)
	}
	byC, err := admin.c.SealUses(ctx, eid, client.SealUseQuery{MemberID: c.id, SealID: seal.ID})
	if err != nil || len(byC.Uses) != 3 {
		t.Fatalf("filtered log: %+v %v", byC, err)
	}
	none, err := admin.c.SealUses(ctx, eid, client.SealUseQuery{From: e.clock.Now().Add(time.Hour)})
	if err != nil || len(none.Uses) != 0 {
		t.Fatalf("date filter: %+v %v", none, err)
	}
	_, err = b.c.SealUses(ctx, eid, client.SealUseQuery{})
	wantCode(t, err, "permission_denied")
	raw, err := admin.c.SealUsesCSV(ctx, eid, client.SealUseQuery{})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\ufeff")))).ReadAll()
	if err != nil || len(rows) != 5 || rows[1][3] != b.name || rows[1][11] != "已用印" {
		t.Fatalf("csv: %v %q", err, rows)
	}
	// The discarded seal is still listed, marked.
	list, _ = admin.c.Seals(ctx, eid)
	if len(list.Seals) != 1 || list.Seals[0].Status != api.SealDiscarded {
		t.Fatalf("after discard: %+v", list)
	}
}

// checkSealedPDF checks a seal signature with our verifier and with poppler's pdfsig (the
// server's root in an NSS database): valid and trusted, naming the enterprise, its credit code
// and the member who used the seal.
func checkSealedPDF(t *testing.T, e *env, path, entName, creditCode, memberName string) {
	t.Helper()
	checkSealedPDFN(t, e, path, entName, creditCode, memberName, 1)
}

// checkSealedPDFN is checkSealedPDF for a PDF with n signatures, the last one the seal's.
func checkSealedPDFN(t *testing.T, e *env, path, entName, creditCode, memberName string, n int) {
	t.Helper()
	rep, err := verify.File(context.Background(), path, &verify.Options{Renderer: render.Shared(), Trust: verify.NewTrustStore(e.run.Server.Root())})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verdict != verify.StatusValid || len(rep.Signatures) != n {
		t.Fatalf("our verifier: %s %+v", rep.Verdict, rep.Signatures)
	}
	s := rep.Signatures[n-1].Signer
	if s.Name != entName || s.Organization != entName || s.OrganizationID != creditCode || s.Operator != memberName {
		t.Fatalf("signer: %+v", s)
	}
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"organization_id": "` + creditCode, `"operator": "` + memberName} {
		if !strings.Contains(strings.ReplaceAll(js.String(), `":"`, `": "`), want) {
			t.Fatalf("JSON lacks %s:\n%s", want, js.String())
		}
	}
	pkitest.RequireTool(t, "pdfsig")
	pkitest.RequireTool(t, "certutil")
	nss := filepath.Join(t.TempDir(), "nss")
	os.MkdirAll(nss, 0o700)
	rootPEM := filepath.Join(t.TempDir(), "root.pem")
	os.WriteFile(rootPEM, e.run.Server.RootPEM(), 0o600)
	for _, args := range [][]string{
		{"-N", "--empty-password", "-d", "sql:" + nss},
		{"-A", "-n", "sealdesk-server-root", "-t", "CT,C,C", "-i", rootPEM, "-d", "sql:" + nss},
	} {
		if b, err := exec.Command("certutil", args...).CombinedOutput(); err != nil {
			t.Fatalf("certutil %v: %v\n%s", args, err, b)
		}
	}
	// -no-ocsp: NSS's online OCSP fetch times out now and then on a loaded machine ("Unknown
	// issue with Certificate", see pdfsigReport); the chain is judged against the root offline.
	b, _ := exec.Command("pdfsig", "-no-ocsp", "-nssdir", "sql:"+nss, path).CombinedOutput()
	report := string(b)
	if strings.Count(report, "Signature Validation: Signature is Valid.") != n || strings.Count(report, "Certificate Validation: Certificate is Trusted.") != n {
		t.Fatalf("pdfsig does not accept the seal signature:\n%s", report)
	}
	if !strings.Contains(report, entName) || !strings.Contains(report, creditCode) {
		t.Errorf("pdfsig does not name the enterprise and its credit code:\n%s", report)
	}
}

var _ = crypto.SHA256
var _ = entseal.MaxExport
