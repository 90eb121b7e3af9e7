package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// buttonsIn returns the buttons under o (visible or not).
func buttonsIn(o fyne.CanvasObject) []*widget.Button {
	var out []*widget.Button
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Button:
			out = append(out, x)
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}

// An empty 我的印章 invites the next step: a primary 设计印章 button (and upload/draw) that open
// their tabs, not a sentence in an empty pane; the first saved item replaces it with the list.
func TestSealsEmptyInvites(t *testing.T) {
	v, lib, _ := newSealsTest(t)
	v.refreshLibrary()
	if !v.emptyView.Visible() || v.listView.Visible() {
		t.Fatalf("empty library: empty state %v, list %v", v.emptyView.Visible(), v.listView.Visible())
	}
	bs := buttonsIn(v.emptyView)
	if len(bs) != 3 || bs[0].Importance != widget.HighImportance || bs[0].Text != tr("seals.empty.design") {
		t.Fatalf("empty state buttons: %d, first %q", len(bs), bs[0].Text)
	}
	for i, want := range []int{1, 2, 3} {
		test.Tap(bs[i])
		if got := v.tabs.SelectedIndex(); got != want {
			t.Fatalf("button %q opened tab %d, want %d", bs[i].Text, got, want)
		}
	}
	if _, err := lib.Save(LibraryItem{Name: "合同专用章", Kind: ItemDesignedSeal, PNG: tinyPNG(t)}); err != nil {
		t.Fatal(err)
	}
	v.refreshLibrary()
	if v.emptyView.Visible() || !v.listView.Visible() || len(v.list.Objects) != 1 {
		t.Fatalf("one item: empty state %v, list %v with %d", v.emptyView.Visible(), v.listView.Visible(), len(v.list.Objects))
	}
}

// 档案柜 outside an enterprise shows one button to 企业 instead of a search form that cannot work.
func TestArchivePersonalInvites(t *testing.T) {
	newContractsApp(t)
	run := contractsServer(t)
	p := newTestParty(t, run, "孙个人")
	s, _ := billingShell(t, p, "")
	s.Show(NavArchive)
	sc := s.Screen(NavArchive).(*ArchiveScreen)
	sc.Wait()
	if !sc.Personal.Visible() || sc.split.Visible() {
		t.Fatalf("personal: empty state %v, search %v", sc.Personal.Visible(), sc.split.Visible())
	}
	bs := buttonsIn(sc.Personal)
	if len(bs) != 1 || bs[0].Importance != widget.HighImportance {
		t.Fatalf("personal archive buttons: %d", len(bs))
	}
	test.Tap(bs[0])
	if s.Current() != NavEnterprise {
		t.Fatalf("the button opened %v, want 企业", s.Current())
	}
}
