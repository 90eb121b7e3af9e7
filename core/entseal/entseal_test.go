package entseal_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/csv"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/entseal"
	"sealdesk/core/gate"
	"sealdesk/core/notify"
	"sealdesk/core/org"
	"sealdesk/core/pdf/pdftest"
	"sealdesk/core/pki"
	"sealdesk/core/pki/pkitest"
	"sealdesk/core/sealkey"
	"sealdesk/core/sync"
	"sealdesk/store/bolt"
	"sealdesk/store/postgres/pgtest"
)

var ctx = context.Background()

// dir is an in-memory enterprise directory (the real one is core/org's, wired in core/server;
// the server's end-to-end tests use it).
type dir struct {
	mu      stdsync.Mutex
	members map[string]map[string]*dmember // enterprise → account → member
	ents    map[string]entseal.Enterprise
	depts   map[string]string
}

type dmember struct {
	entseal.Member
	perms    []org.Permission
	disabled bool
}

func (d *dir) Require(_ sync.Tx, eid, aid string, p org.Permission) (entseal.Member, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	m, ok := d.members[eid][aid]
	if !ok || m.disabled {
		return entseal.Member{}, sync.Refuse(http.StatusForbidden, "not_member", "您不是该企业的在职成员")
	}
	if p != "" {
		for _, q := range m.perms {
			if q == p {
				return m.Member, nil
			}
		}
		return entseal.Member{}, sync.Refuse(http.StatusForbidden, "forbidden", "没有权限")
	}
	return m.Member, nil
}

func (d *dir) Enterprise(_ sync.Tx, eid string) (entseal.Enterprise, error) { return d.ents[eid], nil }
func (d *dir) Department(_ sync.Tx, _, did string) (string, error) {
	if n, ok := d.depts[did]; ok {
		return n, nil
	}
	return "", sync.Refuse(404, "no_dept", "部门不存在")
}
func (d *dir) Scope(eid string) string { return "ent:" + eid }

type fakeCA struct{ p *pkitest.PKI }

func (c fakeCA) Issue(_ sync.Tx, req pki.Request) (*x509.Certificate, error) {
	return pki.Issue(c.p.Issuer(), req)
}
func (c fakeCA) Chain() []*x509.Certificate { return c.p.Chain }

type inbox struct {
	mu   stdsync.Mutex
	msgs []notify.Message
}

func (b *inbox) Send(_ context.Context, m notify.Message) error {
	b.mu.Lock()
	b.msgs = append(b.msgs, m)
	b.mu.Unlock()
	return nil
}

var codeRE = regexp.MustCompile(`用印验证码是 ([0-9]{6})`)

func (b *inbox) lastCode(t *testing.T, to string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.msgs) - 1; i >= 0; i-- {
		if m := codeRE.FindStringSubmatch(b.msgs[i].Body); m != nil && b.msgs[i].To == to {
			return m[1]
		}
	}
	t.Fatalf("no code to %s", to)
	return ""
}

type clock struct {
	mu stdsync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type memSealer struct{}

func (memSealer) Seal(p string, b []byte) ([]byte, error) { return append([]byte(p+"|"), b...), nil }
func (memSealer) Open(p string, b []byte) ([]byte, error) {
	if !bytes.HasPrefix(b, []byte(p+"|")) {
		return nil, errors.New("wrong purpose")
	}
	return b[len(p)+1:], nil
}

func sealPNG(t testing.TB) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for i := 0; i < 64; i++ {
		img.Set(i, i, color.NRGBA{200, 0, 0, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type fixture struct {
	svc   *entseal.Service
	dir   *dir
	inbox *inbox
	clock *clock
	st    sync.Store
}

func newFixture(t *testing.T, st sync.Store) *fixture {
	c := &clock{t: time.Now().UTC()}
	p := pkitest.New(t, &pkitest.Options{NoServer: true})
	d := &dir{members: map[string]map[string]*dmember{}, ents: map[string]entseal.Enterprise{
		"e1": {ID: "e1", Name: "杭州示例科技有限公司", CreditCode: "91330106MA27XYZ12K"},
		"e2": {ID: "e2", Name: "另一家公司", CreditCode: "91110000100000000X"}}, depts: map[string]string{"d-legal": "法务部"}}
	all := org.AllPermissions
	add := func(eid, aid, name string, perms []org.Permission, depts ...string) {
		if d.members[eid] == nil {
			d.members[eid] = map[string]*dmember{}
		}
		d.members[eid][aid] = &dmember{Member: entseal.Member{AccountID: aid, Name: name, Departments: depts}, perms: perms}
	}
	add("e1", "admin", "管理员", all)
	add("e1", "b", "乙", nil)
	add("e1", "c", "丙", nil, "d-legal")
	add("e1", "d", "丁", nil)
	add("e2", "x", "外企管理员", all)
	for _, a := range []string{"admin", "b", "c", "d", "x"} {
		if err := st.Update(ctx, func(tx sync.Tx) error {
			return sync.PutJSON(tx, org.BucketAccounts, a, org.Account{ID: a, Phone: "1380000" + fmt.Sprintf("%04d", len(a)) + a, Name: a})
		}); err != nil {
			t.Fatal(err)
		}
	}
	in := &inbox{}
	return &fixture{svc: &entseal.Service{Store: st, Directory: d, CA: fakeCA{p}, Vault: sealkey.NewSoftware(memSealer{}), Notifier: in,
		Now: c.Now, Secret: []byte("0123456789abcdef")}, dir: d, inbox: in, clock: c, st: st}
}

func phone(a string) string { return "1380000" + fmt.Sprintf("%04d", len(a)) + a }

func (f *fixture) sign(t *testing.T, who, eid, sid string, digest []byte) (api.SealSignResponse, error) {
	t.Helper()
	tk, err := f.svc.SendCode(ctx, eid, sid, who)
	if err != nil {
		return api.SealSignResponse{}, err
	}
	doc := sha256.Sum256([]byte("document"))
	r, _, err := f.svc.Sign(ctx, entseal.SignInput{ServerPrepared: true, EnterpriseID: eid, SealID: sid, Actor: who, IdempotencyKey: hex.EncodeToString(digest[:8]) + who,
		Request: api.SealSignRequest{Digest: digest, CodeID: tk.CodeID, Code: f.inbox.lastCode(t, phone(who)), DocumentSHA256: hex.EncodeToString(doc[:])}})
	return r, err
}

func wantRefusal(t *testing.T, err error, code string) {
	t.Helper()
	var r *sync.Refusal
	if !errors.As(err, &r) || r.Code != code {
		t.Fatalf("got %v, want refusal %s", err, code)
	}
}

func stores() map[string]func(t *testing.T) sync.Store {
	return map[string]func(t *testing.T) sync.Store{
		"bolt": func(t *testing.T) sync.Store {
			s, err := bolt.Open(filepath.Join(t.TempDir(), "s.db"), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		"postgres": func(t *testing.T) sync.Store { return pgtest.Open(t) },
	}
}

func TestSealLifecycle(t *testing.T) {
	for name, open := range stores() {
		t.Run(name, func(t *testing.T) { lifecycle(t, newFixture(t, open(t))) })
	}
}

func lifecycle(t *testing.T, f *fixture) {
	svc := f.svc
	req := api.SealCreateRequest{Name: "合同专用章", Kind: api.SealContract, WidthMM: 42, HeightMM: 42, Image: sealPNG(t)}
	if _, err := svc.Create(ctx, "e1", "b", req); err == nil {
		t.Fatal("a member without seals.manage created a seal")
	}
	seal, err := svc.Create(ctx, "e1", "admin", req)
	if err != nil {
		t.Fatal(err)
	}
	det, err := svc.Detail(ctx, "e1", seal.ID, "b")
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode([]byte(det.Certificate))
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.Organization[0] != "杭州示例科技有限公司" || entseal.CreditCode(cert) != "91330106MA27XYZ12K" || cert.Subject.OrganizationalUnit[0] != "合同专用章" {
		t.Fatalf("subject %s", cert.Subject)
	}
	// B has no grant: no code, no signature.
	d := sha256.Sum256([]byte("signed attributes 1"))
	if _, err := svc.SendCode(ctx, "e1", seal.ID, "b"); err == nil {
		t.Fatal("code sent without a grant")
	}
	now := f.clock.Now()
	g, err := svc.Grant(ctx, "e1", seal.ID, "admin", api.SealGrantRequest{MemberID: "b", NotAfter: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Grant(ctx, "e1", seal.ID, "b", api.SealGrantRequest{MemberID: "b"}); err == nil {
		t.Fatal("a member without seals.grant granted")
	}
	list, err := svc.List(ctx, "e1", "b")
	if err != nil || len(list.Seals) != 1 || !list.Seals[0].Usable || list.CanManage {
		t.Fatalf("list for b: %+v %v", list, err)
	}
	r, err := f.sign(t, "b", "e1", seal.ID, d[:])
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(cert.PublicKey.(*ecdsa.PublicKey), d[:], r.Signature) {
		t.Fatal("signature does not verify with the seal certificate")
	}
	// Bad inputs.
	tk, _ := svc.SendCode(ctx, "e1", seal.ID, "b")
	code := f.inbox.lastCode(t, phone("b"))
	doc := hex.EncodeToString(d[:])
	in := entseal.SignInput{ServerPrepared: true, EnterpriseID: "e1", SealID: seal.ID, Actor: "b", IdempotencyKey: "k-bad", Request: api.SealSignRequest{Digest: d[:31], CodeID: tk.CodeID, Code: code, DocumentSHA256: doc}}
	_, _, err = svc.Sign(ctx, in)
	wantRefusal(t, err, "bad_digest")
	in.Request.Digest = d[:]
	in.SealID = "seal_nope"
	_, _, err = svc.Sign(ctx, in)
	wantRefusal(t, err, "seal_not_found")
	in.SealID, in.EnterpriseID = seal.ID, "e2"
	_, _, err = svc.Sign(ctx, in)
	wantRefusal(t, err, "not_member")
	in.EnterpriseID = "e1"
	// A digest the server did not compute (an HTTP client's) is refused with the code still
	// good, and the attempt is a refused line of the usage log.
	unbound := in
	unbound.ServerPrepared, unbound.IdempotencyKey = false, "k-unbound"
	_, _, err = svc.Sign(ctx, unbound)
	wantRefusal(t, err, "unbound_digest")
	if l, err := svc.Uses(ctx, "e1", "admin", entseal.UseFilter{}); err != nil || len(l.Uses) != 2 ||
		refusedLines(l.Uses) != 1 || (l.Uses[0].Refused == "") == (l.Uses[1].Refused == "") {
		t.Fatalf("usage log after an unbound digest: %+v %v", l.Uses, err)
	}
	in.Request.Code = "000000"
	if code == "000000" {
		in.Request.Code = "000001"
	}
	_, _, err = svc.Sign(ctx, in)
	wantRefusal(t, err, "code_invalid")
	// Another enterprise's admin cannot reach e1's seal through e2.
	xin := in
	xin.Actor, xin.EnterpriseID = "x", "e2"
	_, _, err = svc.Sign(ctx, xin)
	wantRefusal(t, err, "seal_not_found")
	// The right code still works after one wrong guess; then it is spent (replay refused).
	in.Request.Code = code
	in.IdempotencyKey = "k-good"
	r1, rep, err := svc.Sign(ctx, in)
	if err != nil || rep {
		t.Fatal(err, rep)
	}
	r2, rep, err := svc.Sign(ctx, in)
	if err != nil || !rep || !bytes.Equal(r1.Signature, r2.Signature) {
		t.Fatalf("retry: %v replayed=%v same=%v", err, rep, bytes.Equal(r1.Signature, r2.Signature))
	}
	in.IdempotencyKey = "k-replay"
	_, _, err = svc.Sign(ctx, in)
	wantRefusal(t, err, "code_invalid")
	// An expired code.
	tk, _ = svc.SendCode(ctx, "e1", seal.ID, "b")
	in.Request.CodeID, in.Request.Code, in.IdempotencyKey = tk.CodeID, f.inbox.lastCode(t, phone("b")), "k-exp"
	f.clock.Add(5*time.Minute + time.Second)
	_, _, err = svc.Sign(ctx, in)
	wantRefusal(t, err, "code_invalid")
	// A disabled member.
	f.dir.members["e1"]["b"].disabled = true
	_, err = f.sign(t, "b", "e1", seal.ID, d[:])
	wantRefusal(t, err, "not_member")
	f.dir.members["e1"]["b"].disabled = false
	// Revoke: refused at once.
	if _, err := svc.RevokeGrant(ctx, "e1", g.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	tk2, _ := svc.SendCode(ctx, "e1", seal.ID, "admin") // admin has no grant either
	_ = tk2
	if _, err := f.sign(t, "b", "e1", seal.ID, d[:]); err == nil {
		t.Fatal("signed after revocation")
	}
	// C applies; the admin approves; C signs (C's phone hears of it).
	app, err := svc.Apply(ctx, "e1", seal.ID, "c", api.SealApplyRequest{Reason: "签署采购合同", NotAfter: f.clock.Now().Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Decide(ctx, "e1", app.ID, "c", true, api.SealDecisionRequest{}); err == nil {
		t.Fatal("the applicant approved their own application without seals.approve")
	}
	inbox, _ := svc.Applications(ctx, "e1", "admin", api.ApplicationPending)
	if len(inbox) != 1 || inbox[0].ID != app.ID {
		t.Fatalf("approver's inbox: %+v", inbox)
	}
	if _, err := svc.Decide(ctx, "e1", app.ID, "admin", true, api.SealDecisionRequest{Comment: "同意"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Decide(ctx, "e1", app.ID, "admin", false, api.SealDecisionRequest{}); err == nil {
		t.Fatal("decided twice")
	}
	if _, err := f.sign(t, "c", "e1", seal.ID, d[:]); err != nil {
		t.Fatal(err)
	}
	// A grant to C's department covers D only if D is in it: D is not.
	if _, err := svc.Grant(ctx, "e1", seal.ID, "admin", api.SealGrantRequest{DepartmentID: "d-legal"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.sign(t, "d", "e1", seal.ID, d[:]); err == nil {
		t.Fatal("D signed through a department D is not in")
	}
	// A grant that ended one second ago.
	g2, err := svc.Grant(ctx, "e1", seal.ID, "admin", api.SealGrantRequest{MemberID: "d", NotAfter: f.clock.Now().Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	tkd, err := svc.SendCode(ctx, "e1", seal.ID, "d")
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Add(time.Minute + time.Second)
	_, _, err = svc.Sign(ctx, entseal.SignInput{ServerPrepared: true, EnterpriseID: "e1", SealID: seal.ID, Actor: "d", IdempotencyKey: "k-d",
		Request: api.SealSignRequest{Digest: d[:], CodeID: tkd.CodeID, Code: f.inbox.lastCode(t, phone("d")), DocumentSHA256: doc}})
	wantRefusal(t, err, "seal_not_granted")
	_ = g2
	// Discard: C's valid grant no longer helps.
	if _, err := svc.Discard(ctx, "e1", seal.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	_, err = f.sign(t, "c", "e1", seal.ID, d[:])
	wantRefusal(t, err, "seal_discarded")
	// The log: exactly the three signatures (B twice counting the idempotent retry once, C once).
	uses, err := svc.Uses(ctx, "e1", "admin", entseal.UseFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(uses.Uses) != 4 || refusedLines(uses.Uses) != 1 {
		t.Fatalf("log has %d lines, want 3 uses and 1 refusal: %+v", len(uses.Uses), uses.Uses)
	}
	byC, _ := svc.Uses(ctx, "e1", "admin", entseal.UseFilter{MemberID: "c"})
	if len(byC.Uses) != 1 || byC.Uses[0].MemberName != "丙" {
		t.Fatalf("filter by member: %+v", byC)
	}
	future, _ := svc.Uses(ctx, "e1", "admin", entseal.UseFilter{From: f.clock.Now().Add(time.Hour)})
	if len(future.Uses) != 0 {
		t.Fatalf("date filter: %+v", future)
	}
	if _, err := svc.Uses(ctx, "e1", "b", entseal.UseFilter{}); err == nil {
		t.Fatal("a member without seals.manage read the log")
	}
	var b bytes.Buffer
	if err := svc.ExportCSV(ctx, &b, "e1", "admin", entseal.UseFilter{SealID: seal.ID}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b.Bytes(), []byte("\ufeff")))).ReadAll()
	if err != nil || len(rows) != 5 || rows[0][1] != "印章" || rows[0][11] != "结果" {
		t.Fatalf("csv: %v %q", err, rows)
	}
}

func TestSealCreateRefusesBadInput(t *testing.T) {
	f := newFixture(t, stores()["bolt"](t))
	good := api.SealCreateRequest{Name: "公章", Kind: api.SealOfficial, WidthMM: 42, HeightMM: 42, Image: sealPNG(t)}
	for name, c := range map[string]struct {
		mod  func(*api.SealCreateRequest)
		code string
	}{
		"empty name": {func(r *api.SealCreateRequest) { r.Name = " " }, "bad_name"},
		"bidi name":  {func(r *api.SealCreateRequest) { r.Name = "公\u202e章" }, "bad_name"},
		"kind":       {func(r *api.SealCreateRequest) { r.Kind = "玉玺" }, "bad_kind"},
		"size":       {func(r *api.SealCreateRequest) { r.WidthMM = 500 }, "bad_size"},
		"not png":    {func(r *api.SealCreateRequest) { r.Image = []byte("GIF89a") }, "bad_image"},
		"no image":   {func(r *api.SealCreateRequest) { r.Image = nil }, "bad_image"},
		"huge image": {func(r *api.SealCreateRequest) { r.Image = make([]byte, api.MaxSealImage+1) }, "bad_image"},
		"cut png":    {func(r *api.SealCreateRequest) { r.Image = r.Image[:len(r.Image)-20] }, "bad_image"},
	} {
		r := good
		c.mod(&r)
		_, err := f.svc.Create(ctx, "e1", "admin", r)
		var ref *sync.Refusal
		if !errors.As(err, &ref) || ref.Code != c.code {
			t.Errorf("%s: %v, want %s", name, err, c.code)
		}
	}
	var n int
	f.st.View(ctx, func(tx sync.Tx) error {
		return tx.Scan(entseal.BucketSeals, "", "", 0, func(string, []byte) error { n++; return nil })
	})
	if n != 0 {
		t.Fatalf("%d seals stored after refusals", n)
	}
	_ = rand.Reader
}

// A code asked for a contract signs up to its count of that contract's digests, nothing of
// another contract, and nothing after its last use; bad requests are refused.
func TestContractCode(t *testing.T) {
	for name, open := range stores() {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, open(t))
			svc := f.svc
			seal, err := svc.Create(ctx, "e1", "admin", api.SealCreateRequest{Name: "合同专用章", Kind: api.SealContract, WidthMM: 42, HeightMM: 42, Image: sealPNG(t)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Grant(ctx, "e1", seal.ID, "admin", api.SealGrantRequest{MemberID: "b"}); err != nil {
				t.Fatal(err)
			}
			for _, bad := range []api.SealCodeRequest{{ContractID: "env_1", Signatures: api.MaxCodeSignatures + 1}, {Signatures: 3}, {ContractID: "a/b", Signatures: 2}, {ContractID: "env_1", Signatures: -1}} {
				_, err := svc.SendCodeFor(ctx, "e1", seal.ID, "b", bad)
				wantRefusal(t, err, "bad_request")
			}
			_, err = svc.SendCodeFor(ctx, "e1", seal.ID, "c", api.SealCodeRequest{ContractID: "env_1", Signatures: 3})
			wantRefusal(t, err, "seal_not_granted")
			tk, err := svc.SendCodeFor(ctx, "e1", seal.ID, "b", api.SealCodeRequest{ContractID: "env_1", Signatures: 3})
			if err != nil || tk.Signatures != 3 {
				t.Fatalf("ticket %+v %v", tk, err)
			}
			code := f.inbox.lastCode(t, phone("b"))
			doc := sha256.Sum256([]byte("document"))
			sign := func(key, contract string) error {
				d := sha256.Sum256([]byte(key))
				_, _, err := svc.Sign(ctx, entseal.SignInput{ServerPrepared: true, EnterpriseID: "e1", SealID: seal.ID, Actor: "b", IdempotencyKey: key,
					Request: api.SealSignRequest{Digest: d[:], CodeID: tk.CodeID, Code: code, ContractID: contract, DocumentSHA256: hex.EncodeToString(doc[:])}})
				return err
			}
			wantRefusal(t, sign("k0", "env_2"), "code_invalid")
			wantRefusal(t, sign("k0b", ""), "code_invalid")
			for i := range 3 {
				if err := sign(fmt.Sprint("k", i+1), "env_1"); err != nil {
					t.Fatalf("signature %d of 3: %v", i+1, err)
				}
			}
			wantRefusal(t, sign("k4", "env_1"), "code_invalid")
			l, err := svc.Uses(ctx, "e1", "admin", entseal.UseFilter{})
			if err != nil || len(l.Uses) != 3 {
				t.Fatalf("usage log: %d lines, %v", len(l.Uses), err)
			}
		})
	}
}

// refusedLines counts the refused lines of a usage log.
func refusedLines(uses []api.SealUse) int {
	n := 0
	for _, u := range uses {
		if u.Refused != "" {
			n++
		}
	}
	return n
}

// onePage is a minimal one-page PDF with a correct cross-reference table.
func onePage(text string) []byte { return pdftest.OnePage(text) }

// TestStampRetryAfterLostAnswer: the server seals a local file with two marks; the answer is
// lost after every mark was signed and logged (the request left pending, as when the server is
// killed before it stores the answer). The retry with the same key prepares the same signatures
// with the first attempt's clock: it gets the stored signatures back, logs nothing more and
// needs no code (the first attempt spent it). A declared hash that is not the file's is refused
// and logged.
func TestStampRetryAfterLostAnswer(t *testing.T) {
	for name, open := range stores() {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, open(t))
			svc := f.svc
			seal, err := svc.Create(ctx, "e1", "admin", api.SealCreateRequest{Name: "合同专用章", Kind: api.SealContract, WidthMM: 42, HeightMM: 42, Image: sealPNG(t)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Grant(ctx, "e1", seal.ID, "admin", api.SealGrantRequest{MemberID: "b"}); err != nil {
				t.Fatal(err)
			}
			tk, err := svc.SendCodeFor(ctx, "e1", seal.ID, "b", api.SealCodeRequest{ContractID: "", Signatures: 1})
			if err != nil {
				t.Fatal(err)
			}
			doc := onePage("local file")
			sum := sha256.Sum256(doc)
			marks := []api.SealMark{{Page: 1, Rect: [4]float64{300, 80, 420, 200}}}
			in := entseal.StampInput{EnterpriseID: "e1", SealID: seal.ID, Actor: "b", IdempotencyKey: "k-stamp",
				Request: api.SealSignRequest{CodeID: tk.CodeID, Code: f.inbox.lastCode(t, phone("b")), DocumentSHA256: hex.EncodeToString(sum[:]), PDF: doc, Marks: marks}}
			// A declared hash that is not the file's.
			bad := in
			bad.IdempotencyKey = "k-bad"
			bad.Request.DocumentSHA256 = strings.Repeat("ab", 32)
			_, _, err = svc.Stamp(ctx, bad)
			wantRefusal(t, err, "document_mismatch")
			r1, rep, err := svc.Stamp(ctx, in)
			if err != nil || rep || len(r1.UseIDs) != 1 || len(r1.Update) == 0 {
				t.Fatalf("stamp: %v %v %+v", err, rep, r1.UseIDs)
			}
			// Lose the answer: the request is pending again, as if the server died before storing it.
			if err := f.st.Update(ctx, func(tx sync.Tx) error {
				var a map[string]any
				if err := sync.GetJSON(tx, entseal.BucketSignAnswers, "b\x00k-stamp", &a); err != nil {
					return err
				}
				a["pending"], a["response"] = true, map[string]any{}
				return sync.PutJSON(tx, entseal.BucketSignAnswers, "b\x00k-stamp", a)
			}); err != nil {
				t.Fatal(err)
			}
			f.clock.Add(30 * time.Second)
			r2, rep, err := svc.Stamp(ctx, in)
			if err != nil || rep || !slices.Equal(r1.UseIDs, r2.UseIDs) || len(r2.Update) != len(r1.Update) {
				t.Fatalf("retry after the lost answer: %v replayed=%v uses %v / %v, %d / %d bytes", err, rep, r1.UseIDs, r2.UseIDs, len(r1.Update), len(r2.Update))
			}
			// Now stored: a third call is a replay.
			r3, rep, err := svc.Stamp(ctx, in)
			if err != nil || !rep || !bytes.Equal(r3.Update, r2.Update) {
				t.Fatalf("third call: %v replayed=%v", err, rep)
			}
			l, err := svc.Uses(ctx, "e1", "admin", entseal.UseFilter{})
			if err != nil || len(l.Uses) != 2 || refusedLines(l.Uses) != 1 {
				t.Fatalf("usage log: one use and one refusal, got %+v %v", l.Uses, err)
			}
		})
	}
}

// TestStampBusy: over the Stamps gate a seal request is turned away with gate.ErrBusy before
// anything is recorded or signed, and goes through once a slot is free.
func TestStampBusy(t *testing.T) {
	f := newFixture(t, stores()["bolt"](t))
	svc := f.svc
	svc.Stamps = gate.New(&gate.Options{Slots: 1, Queue: 1, Wait: 10 * time.Millisecond})
	seal, err := svc.Create(ctx, "e1", "admin", api.SealCreateRequest{Name: "合同专用章", Kind: api.SealContract, WidthMM: 42, HeightMM: 42, Image: sealPNG(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Grant(ctx, "e1", seal.ID, "admin", api.SealGrantRequest{MemberID: "b"}); err != nil {
		t.Fatal(err)
	}
	tk, err := svc.SendCode(ctx, "e1", seal.ID, "b")
	if err != nil {
		t.Fatal(err)
	}
	doc := onePage("busy")
	sum := sha256.Sum256(doc)
	in := entseal.StampInput{EnterpriseID: "e1", SealID: seal.ID, Actor: "b", IdempotencyKey: "k-busy",
		Request: api.SealSignRequest{CodeID: tk.CodeID, Code: f.inbox.lastCode(t, phone("b")), DocumentSHA256: hex.EncodeToString(sum[:]), PDF: doc,
			Marks: []api.SealMark{{Page: 1, Rect: [4]float64{300, 80, 420, 200}}}}}
	release, err := svc.Stamps.Enter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = svc.Stamp(ctx, in)
	if !errors.Is(err, gate.ErrBusy) {
		release()
		t.Fatalf("with the only slot taken: %v", err)
	}
	release()
	if r, _, err := svc.Stamp(ctx, in); err != nil || len(r.UseIDs) != 1 {
		t.Fatalf("with a free slot: %v %+v", err, r.UseIDs)
	}
	if l, err := svc.Uses(ctx, "e1", "admin", entseal.UseFilter{}); err != nil || len(l.Uses) != 1 {
		t.Fatalf("usage log: %+v %v", l.Uses, err)
	}
}
