package ui

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2/test"

	"sealdesk/ui/widgets"
)

// TestTemplatesFollowTheAccount: a template saved on one computer (its own data folder) goes to
// the server — files, recipient roles, boxes — and a second computer of the same account (another
// data folder) finds it under 从模板开始: the files fetched by digest, the boxes back on the same
// page at the same place; starting a contract from it there gives the same files, recipients and
// boxes.
func TestTemplatesFollowTheAccount(t *testing.T) {
	newContractsApp(t)
	run := contractsServer(t)
	pa := newTestParty(t, run, "王菲菲")
	s1, _ := newPartyShell(t, pa)
	s1.Show(NavSend)
	v1 := composeOf(s1)
	v1.addFilesAndWait(writeTestPDF(t, "劳动合同.pdf", a4Pages(2)))
	test.Tap(v1.addPerson)
	test.Type(v1.cards[0].name, "李四")
	test.Type(v1.cards[0].contact, "13812345678")
	v1.draft.Boxes = []draftBox{{File: 0, Recipient: 0, Kind: boxSign, Page: 1, Rect: widgets.Rect{LLX: 100, LLY: 120, URX: 260, URY: 180}}}
	v1.saveTemplate("劳动合同模板")
	workers.drain(&v1.wg)
	local, err := v1.store.List(true)
	if err != nil || len(local) != 1 || local[0].ServerID == "" {
		t.Fatalf("the template on the first computer: %+v %v (%q)", local, err, v1.msg.Text)
	}

	s2, _ := newPartyShell(t, pa) // another data folder: the second computer
	s2.Show(NavSend)
	v2 := composeOf(s2)
	if l, _ := v2.store.List(true); len(l) != 0 {
		t.Fatalf("the second computer starts with %d templates", len(l))
	}
	test.Tap(v2.templateBtn)
	workers.drain(&v2.wg)
	got, err := v2.store.List(true)
	if err != nil || len(got) != 1 {
		t.Fatalf("the second computer's templates: %+v %v (%q)", got, err, v2.msg.Text)
	}
	g, w := got[0], local[0]
	if g.Subject != "劳动合同模板" || g.ServerID != w.ServerID || len(g.Files) != 1 || g.Files[0].SHA256 != w.Files[0].SHA256 ||
		g.Files[0].Pages != 2 || len(g.Recipients) != 1 || g.Recipients[0].Contact != "13812345678" || len(g.Boxes) != 1 {
		t.Fatalf("pulled %+v, want %+v", g, w)
	}
	if b := g.Boxes[0]; b.Page != 1 || b.Kind != boxSign || math.Abs(b.Rect.LLX-w.Boxes[0].Rect.LLX) > 0.01 || math.Abs(b.Rect.URY-w.Boxes[0].Rect.URY) > 0.01 {
		t.Errorf("the box came back as %+v, want %+v", b, w.Boxes[0])
	}
	if _, err := os.Stat(filepath.Join(v2.store.dir(g), g.Files[0].File)); err != nil {
		t.Fatalf("the template's file on the second computer: %v", err)
	}
	// Pulling again adds nothing; a contract starts from it with its files and people.
	if n, err := pullTemplates(context.Background(), pa.c, v2.store); n != 0 || err != nil {
		t.Errorf("a second pull added %d (%v)", n, err)
	}
	v2.StartFromTemplate(g)
	if len(v2.draft.Files) != 1 || len(v2.cards) != 1 || v2.cards[0].name.Text != "李四" || len(v2.draft.Boxes) != 1 {
		t.Errorf("started from the template: %+v", v2.draft)
	}
}
