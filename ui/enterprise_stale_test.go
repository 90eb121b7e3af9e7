package ui

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"sealdesk/core/client"
	"sealdesk/core/org"
)

// holdAnswer is a client transport that, once armed, holds the answer of the next GET whose
// path ends with suffix: the request reaches the server and is answered (an older state), and
// the answer goes back to the caller only after release — so a test can make an older query's
// answer arrive after a newer one's, without timing.
type holdAnswer struct {
	base     http.RoundTripper
	mu       sync.Mutex
	suffix   string // "" : disarmed
	answered chan struct{}
	release  chan struct{}
}

// installHold puts a disarmed holdAnswer in front of c's transport (before any screen uses c).
func installHold(t *testing.T, c *client.Client) *holdAnswer {
	h := &holdAnswer{base: c.HTTP.Transport}
	c.HTTP.Transport = h
	t.Cleanup(func() { h.Release() })
	return h
}

// Arm holds the next GET answer of a path ending with suffix.
func (h *holdAnswer) Arm(suffix string) {
	h.mu.Lock()
	h.suffix, h.answered, h.release = suffix, make(chan struct{}), make(chan struct{})
	h.mu.Unlock()
}

// Release lets the held answer go (no-op when none is held or it went already).
func (h *holdAnswer) Release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.release != nil {
		select {
		case <-h.release:
		default:
			close(h.release)
		}
	}
}

// Answered waits until the held request has its answer.
func (h *holdAnswer) Answered(t *testing.T) {
	t.Helper()
	h.mu.Lock()
	ch := h.answered
	h.mu.Unlock()
	select {
	case <-ch:
	case <-time.After(15 * time.Second):
		t.Fatal("the held request was not made")
	}
}

func (h *holdAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := h.base.RoundTrip(r)
	h.mu.Lock()
	hold := h.suffix != "" && r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, h.suffix)
	var answered, release chan struct{}
	if hold {
		h.suffix = ""
		answered, release = h.answered, h.release
	}
	h.mu.Unlock()
	if hold {
		close(answered)
		select {
		case <-release:
		case <-time.After(30 * time.Second): // a test that forgot to release does not hang
		}
	}
	return resp, err
}

// TestEnterpriseStaleAnswers: in 企业's 成员, 角色, 部门 and 审计日志 an older load's answer that
// arrives after a newer load's is dropped — without the guard it put the older list back on
// screen (the class CI found in 费用明细). Each case holds the first load's answer (the state
// before a change), makes the change, loads again, sees the newer list, then lets the older
// answer in and checks the newer list stays.
func TestEnterpriseStaleAnswers(t *testing.T) {
	newContractsApp(t)
	run := contractsServer(t)
	ctx := context.Background()
	pa, pb := newTestParty(t, run, "王管理"), newTestParty(t, run, "李新人")
	hold := installHold(t, pa.c)
	ent := newEnterprise(t, pa, "杭州旧答复有限公司", "91330100MA2AR0006")
	s, _ := billingShell(t, pa, ent)
	e := enterpriseScreen(t, s)
	waitUntil(t, "the enterprise's tabs", func() bool { return e.state == "enterprise" && slices.Contains(e.Members.MemberNames(), "王管理") })
	e.Wait()

	stale := func(what, suffix string, load func(), change func(), newer func() bool, wait func()) {
		t.Helper()
		hold.Arm(suffix)
		load()
		hold.Answered(t)
		change()
		load()
		waitUntil(t, what+": the newer answer", newer)
		hold.Release()
		wait()
		if !lookLocked(newer) {
			t.Errorf("%s: the older answer, arriving last, replaced the newer one", what)
		}
	}

	stale("成员", "/members", e.Members.load, func() { enrolMember(t, run, ent, pb, org.RoleMember) },
		func() bool { return slices.Contains(e.Members.MemberNames(), "李新人") }, e.Wait)

	stale("角色", "/roles", e.Roles.load, func() {
		if _, err := pa.c.CreateRole(ctx, ent, "合同专员", []org.Permission{org.PermSendContracts}); err != nil {
			t.Fatal(err)
		}
	}, func() bool { return len(e.Roles.roles) == 1 && e.Roles.roles[0].Name == "合同专员" }, e.Wait)

	stale("部门", "/departments", e.Depts.load, func() {
		if _, err := pa.c.CreateDepartment(ctx, ent, "法务部", ""); err != nil {
			t.Fatal(err)
		}
	}, func() bool { return slices.Contains(e.Depts.DepartmentNames(), "法务部") }, e.Wait)

	au := newAuditPanel(s)
	au.Reload()
	au.Wait()
	stale("审计日志", "/audit", au.Reload, func() {
		if _, err := pa.c.CreateDepartment(ctx, ent, "审计部", ""); err != nil {
			t.Fatal(err)
		}
	}, func() bool { return strings.Count(au.Lines.Text, "department.created") == 2 }, au.Wait)
}

// TestEnterpriseOverviewLogo: 企业 › 概况 shows the enterprise's LOGO (the PNG the server
// re-encoded) to a plain member too; an enterprise without one shows no picture, and removing it
// hides it on the next load.
func TestEnterpriseOverviewLogo(t *testing.T) {
	newContractsApp(t)
	run := contractsServer(t)
	ctx := context.Background()
	pa, pb := newTestParty(t, run, "王管理"), newTestParty(t, run, "赵成员")
	ent := newEnterprise(t, pa, "杭州概况标识有限公司", "91330100MA2AR0007")
	bare := newEnterprise(t, pb, "宁波无标识有限公司", "91330200MA2AR0008")
	enrolMember(t, run, ent, pb, org.RoleMember)
	raw, err := os.ReadFile(writeLogo(t, "logo.bmp", 300, 100, false))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pa.c.SetLogo(ctx, ent, raw); err != nil {
		t.Fatal(err)
	}
	want, err := pa.c.Logo(ctx, ent)
	if err != nil {
		t.Fatal(err)
	}

	s, _ := billingShell(t, pb, ent)
	e := enterpriseScreen(t, s)
	waitUntil(t, "the enterprise", func() bool { return e.state == "enterprise" && e.Current.Enterprise.ID == ent })
	e.Wait()
	if !e.Logo.Visible() || e.Logo.Resource == nil || !bytes.Equal(e.Logo.Resource.Content(), want) {
		t.Fatalf("the member's 概况: logo visible %v", e.Logo.Visible())
	}
	if _, err := pa.c.DeleteLogo(ctx, ent); err != nil {
		t.Fatal(err)
	}
	lookLocked(func() bool { e.refresh(); return true })
	e.Wait()
	if e.Logo.Visible() {
		t.Error("a removed logo still shows")
	}

	sb, _ := billingShell(t, pb, bare)
	eb := enterpriseScreen(t, sb)
	waitUntil(t, "the enterprise without a logo", func() bool { return eb.state == "enterprise" && eb.Current.Enterprise.ID == bare })
	eb.Wait()
	if eb.Logo.Visible() {
		t.Error("an enterprise without a logo shows a picture")
	}
}
