package ui

import (
	"encoding/json"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

func loadTranslations(t *testing.T) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	for code, file := range translationFiles {
		data, err := translations.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		out[code] = m
	}
	return out
}

func TestShellShowsOnlyScreensThatExist(t *testing.T) {
	s, _, _ := newTestShell(t)
	reg := registry()
	seen := map[NavID]bool{}
	for _, e := range reg {
		if seen[e.nav] {
			t.Errorf("%v registered twice", e.nav.Key())
		}
		seen[e.nav] = true
	}
	places := s.Places()
	if len(places) != len(reg) {
		t.Fatalf("navigation shows %d places, registry has %d", len(places), len(reg))
	}
	zh := loadTranslations(t)[LangChinese]
	for i, n := range places {
		if i > 0 && places[i-1] >= n {
			t.Errorf("navigation out of order: %v before %v", places[i-1], n)
		}
		b := s.NavButton(n)
		if b == nil {
			t.Fatalf("no button for %s", n.Key())
		}
		if b.Text != zh[n.Key()] {
			t.Errorf("button %s reads %q, want %q", n.Key(), b.Text, zh[n.Key()])
		}
	}
	for n := NavID(0); n < navCount; n++ {
		if !seen[n] {
			if s.NavButton(n) != nil || s.Screen(n) != nil {
				t.Errorf("%s has no screen but is shown", n.Key())
			}
			if s.Show(n) {
				t.Errorf("Show(%s) succeeded without a screen", n.Key())
			}
		}
	}
}

func TestShellNavigationAndTitle(t *testing.T) {
	s, _, w := newTestShell(t)
	if got := w.Title(); got != "SealDesk 电子签约" {
		t.Errorf("title %q", got)
	}
	for _, n := range s.Places() {
		test.Tap(s.NavButton(n))
		if s.Current() != n {
			t.Errorf("tapping %s shows %s", n.Key(), s.Current().Key())
		}
		if s.NavButton(n).Importance != widget.HighImportance {
			t.Errorf("current place %s not highlighted", n.Key())
		}
		if len(s.body.Objects) != 1 || s.body.Objects[0] != s.Screen(n).Content() {
			t.Errorf("body does not show the %s screen", n.Key())
		}
	}
	if !s.ShowSlug("settings") || s.Current() != NavSettings {
		t.Error("ShowSlug(settings) failed")
	}
	if s.ShowSlug("nope") {
		t.Error("ShowSlug(nope) succeeded")
	}
}

func TestNavKeysAreTranslated(t *testing.T) {
	tr := loadTranslations(t)
	for n := NavID(0); n < navCount; n++ {
		for code, m := range tr {
			if m[n.Key()] == "" {
				t.Errorf("%s has no %s translation", n.Key(), code)
			}
		}
	}
	want := []string{"首页", "文件", "发起签署", "文件验签", "签章管理", "企业", "审批管理", "档案柜", "费用中心", "设置"}
	for i, w := range want {
		if got := tr[LangChinese][NavID(i).Key()]; got != w {
			t.Errorf("nav %d is %q, want %q (the manuals' wording)", i, got, w)
		}
	}
}
