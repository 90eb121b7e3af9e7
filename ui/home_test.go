package ui

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/pki/pkitest"
)

// memRecent is an in-memory RecentBrowser with the store's rules: one entry per path, newest
// first. The verifier records from a worker, so it locks.
type memRecent struct {
	mu      sync.Mutex
	now     time.Time
	entries map[string]RecentDocument
	failRm  bool
}

func newMemRecent(now time.Time) *memRecent {
	return &memRecent{now: now, entries: map[string]RecentDocument{}}
}

func (m *memRecent) AddRecent(path, kind string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = m.now.Add(time.Minute)
	m.entries[path] = RecentDocument{Path: path, When: m.now, Kind: kind}
	return nil
}

func (m *memRecent) RecentDocuments() ([]RecentDocument, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []RecentDocument
	for _, d := range m.entries {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].When.After(out[j].When) })
	return out, nil
}

func (m *memRecent) RemoveRecent(path string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failRm {
		return errors.New("disk full")
	}
	delete(m.entries, path)
	return nil
}

func (m *memRecent) has(path string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.entries[path]
	return ok
}

func rowNames(h *HomeScreen) []string {
	var out []string
	for _, r := range h.Rows {
		out = append(out, r.Open.Text)
	}
	return out
}

func TestHomeListsRecentDocumentsAndOpensThem(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	p := pkitest.New(t, &pkitest.Options{Now: func() time.Time { return now }, NoServer: true})
	signed := signedTestPDF(t, p, "采购合同-已签.pdf")
	plain := writeTestPDF(t, "报价单.pdf", a4Pages(1))
	gone := filepath.Join(t.TempDir(), "已删除.pdf")

	rec := newMemRecent(now)
	rec.AddRecent(gone, RecentViewed)
	rec.AddRecent(signed, RecentSigned)
	rec.AddRecent(plain, RecentVerified)
	s, _ := newLocalShell(t, &LocalServices{Prefs: &memPrefs{}, Recent: rec})

	if s.Current() != NavHome || s.Places()[0] != NavHome {
		t.Fatalf("the app starts on %s, want 首页 first", s.Current().Key())
	}
	h := s.Screen(NavHome).(*HomeScreen)
	if got, want := fmt.Sprint(rowNames(h)), "[报价单.pdf 采购合同-已签.pdf 已删除.pdf]"; got != want {
		t.Fatalf("rows %s, want newest first %s", got, want)
	}
	if h.Empty.Visible() {
		t.Error("empty sentence shown above a list")
	}
	wantKinds := []string{"已验签", "已签署", "文件已不存在"}
	for i, r := range h.Rows {
		if r.Kind.Text != wantKinds[i] {
			t.Errorf("row %d kind %q, want %q", i, r.Kind.Text, wantKinds[i])
		}
		if r.Folder.Text != filepath.Dir(r.Doc.Path) {
			t.Errorf("row %d folder %q", i, r.Folder.Text)
		}
		if r.When.Text != r.Doc.When.Local().Format("2006-01-02 15:04") {
			t.Errorf("row %d when %q", i, r.When.Text)
		}
	}
	if !h.Rows[2].Missing || h.Rows[0].Missing || h.Rows[2].Kind.Importance != widget.DangerImportance {
		t.Error("the missing file is not marked")
	}

	// a missing file only says so; removing it updates the store and the list
	test.Tap(h.Rows[2].Open)
	if s.Current() != NavHome {
		t.Fatalf("tapping a missing file left 首页 for %s", s.Current().Key())
	}
	if !h.Status.Visible() || h.Status.Text != "文件已不存在："+gone {
		t.Fatalf("status %q (visible %v)", h.Status.Text, h.Status.Visible())
	}
	rec.failRm = true
	test.Tap(h.Rows[2].Remove)
	if !rec.has(gone) || h.Status.Text != "无法从列表中移除这个文件。" || len(h.Rows) != 3 {
		t.Fatalf("a failed removal: status %q, rows %d", h.Status.Text, len(h.Rows))
	}
	rec.failRm = false
	test.Tap(h.Rows[2].Remove)
	if rec.has(gone) {
		t.Fatal("removing did not reach the store")
	}
	if got := fmt.Sprint(rowNames(h)); got != "[报价单.pdf 采购合同-已签.pdf]" {
		t.Fatalf("after removing: %s", got)
	}
	if h.Status.Visible() {
		t.Error("the message stayed after the file was removed")
	}

	// an unsigned PDF opens in 文件, a signed one in 文件验签 (which records it as verified); a
	// tap anywhere on the row opens, not only on the name
	test.Tap(h.Rows[0].Row)
	if s.Current() != NavDocuments {
		t.Fatalf("an unsigned recent PDF opened %s", s.Current().Key())
	}
	s.Show(NavHome)
	test.Tap(h.Rows[1].Open)
	if s.Current() != NavVerify {
		t.Fatalf("a signed recent PDF opened %s", s.Current().Key())
	}
	v := s.Screen(NavVerify).(*verifierScreen)
	workers.drain(&v.wg)
	if len(v.files) != 1 || v.files[0].Path != signed {
		t.Fatalf("the verifier holds %d files", len(v.files))
	}

	// showing 首页 again reads the store again: the verified file is now the newest
	s.Show(NavHome)
	if got := rowNames(h); len(got) != 2 || got[0] != "采购合同-已签.pdf" || h.Rows[0].Kind.Text != "已验签" {
		t.Fatalf("after verifying: %v %q", got, h.Rows[0].Kind.Text)
	}
}

func TestHomeEmptyAndCapped(t *testing.T) {
	rec := newMemRecent(time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC))
	s, _ := newLocalShell(t, &LocalServices{Prefs: &memPrefs{}, Recent: rec})
	h := s.Screen(NavHome).(*HomeScreen)
	if !h.Empty.Visible() || h.Empty.Text != "还没有最近文件。打开、签署或验签一份文件后，它会显示在这里。" || len(h.Rows) != 0 {
		t.Fatalf("empty state: %q visible %v rows %d", h.Empty.Text, h.Empty.Visible(), len(h.Rows))
	}
	dir := t.TempDir()
	for i := 0; i < homeMaxRecent+5; i++ {
		rec.AddRecent(filepath.Join(dir, fmt.Sprintf("%02d.pdf", i)), RecentViewed)
	}
	s.Show(NavSettings)
	s.Show(NavHome)
	if h.Empty.Visible() || len(h.Rows) != homeMaxRecent || h.Rows[0].Open.Text != fmt.Sprintf("%02d.pdf", homeMaxRecent+4) {
		t.Fatalf("capped list: %d rows, first %q", len(h.Rows), h.Rows[0].Open.Text)
	}

	// without the local store there is no list, and 首页 says why
	s2, _, _ := newTestShell(t)
	h2 := s2.Screen(NavHome).(*HomeScreen)
	if !h2.Empty.Visible() || h2.Empty.Text != "本机数据库没有打开，无法显示最近文件。" {
		t.Fatalf("no store: %q", h2.Empty.Text)
	}
}

func TestHomeQuickActions(t *testing.T) {
	s, _ := newLocalShell(t, &LocalServices{Prefs: &memPrefs{}, Recent: newMemRecent(time.Now())})
	h := s.Screen(NavHome).(*HomeScreen)
	want := map[string]NavID{"打开文件": NavDocuments, "文件验签": NavVerify, "印章设计": NavSeals, "本机签署": NavSend}
	if len(h.Actions) != len(want) {
		t.Fatalf("%d quick actions", len(h.Actions))
	}
	for _, b := range h.Actions {
		n, ok := want[b.Text]
		if !ok {
			t.Fatalf("unexpected action %q", b.Text)
		}
		s.Show(NavHome)
		test.Tap(b)
		if s.Current() != n {
			t.Errorf("%s showed %s, want %s", b.Text, s.Current().Key(), n.Key())
		}
	}
	send := s.Screen(NavSend).(*sendScreen)
	if send.tabs.Selected() == nil || send.tabs.Selected().Text != "本机签署" {
		t.Error("本机签署 did not select the signing tab")
	}
}

// TestDocumentsRecordsOpenedFiles: a file opened in 文件 joins 最近文件; one that cannot be opened
// does not.
func TestDocumentsRecordsOpenedFiles(t *testing.T) {
	s, sc, _ := newDocumentsShell(t)
	rec := newMemRecent(time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC))
	s.Services.Local = &LocalServices{Recent: rec}
	dir := t.TempDir()
	good := filepath.Join(dir, "合同.pdf")
	bad := filepath.Join(dir, "坏.pdf")
	if err := os.WriteFile(good, squarePDF([]squarePage{{media: [4]float64{0, 0, 200, 100}, square: [4]float64{10, 10, 50, 50}}}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("not a pdf"), 0o600); err != nil {
		t.Fatal(err)
	}
	sc.OpenFile(bad)
	sc.Wait()
	sc.OpenFile(good)
	sc.Wait()
	docs, _ := rec.RecentDocuments()
	if len(docs) != 1 || docs[0].Path != good || docs[0].Kind != RecentViewed {
		t.Fatalf("recent after opening: %+v", docs)
	}
}
