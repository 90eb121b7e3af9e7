package main

// The architecture test: SPEC §1's dependency rules, checked on the real import graph with
// `go list -deps`, one row per rule with the reason the rule exists.

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

type depRule struct {
	pkgs   string   // package pattern given to go list
	banned []string // import path prefixes that must not be in the dependency closure
	why    string
}

var depRules = []depRule{
	{"./core/...", []string{"sealdesk/ui", "fyne.io/fyne"},
		"core is the product's logic; it must run headless in the server and in sealctl"},
	{"./core/...", []string{"sealdesk/store", "go.etcd.io/bbolt", "github.com/jackc/pgx", "github.com/lib/pq"},
		"core defines the store interfaces it needs; concrete stores are picked only by main.go and cmd/*"},
	{"./ui/...", []string{"sealdesk/store", "go.etcd.io/bbolt", "github.com/jackc/pgx"},
		"the UI gets everything through small interfaces and never touches a store"},
	{"./store/...", []string{"sealdesk/ui", "fyne.io/fyne"},
		"stores are used by the headless server; they must not drag Fyne in"},
	{"./cmd/...", []string{"sealdesk/ui", "fyne.io/fyne"},
		"sealdesk-server and sealctl build with CGO_ENABLED=0 and never link Fyne"},
	{"./core/client/...", []string{"sealdesk/core/server", "sealdesk/store"},
		"the desktop's client speaks the wire types of core/api; importing the server would link its CA, TSA and handlers into every client"},
	{"./core/tsa/...", []string{"sealdesk/core/sign"},
		"the TSA builds its tokens with core/cms; core/sign uses the TSA, so tsa → sign would be an import cycle (core/cms used to hide in core/sign/cms to dodge it)"},
	{"./core/cms/...", []string{"sealdesk/core/sign", "sealdesk/core/tsa", "sealdesk/core/verify", "sealdesk/core/pdf"},
		"core/cms is the one CMS package the signer, the TSA and the verifier share; it depends on none of them"},
	{"./core/ofd", []string{"sealdesk/core/verify", "sealdesk/core/sign", "sealdesk/core/pdf"},
		"core/ofd is the OFD package reader under verification and the page renderer; it judges nothing and depends on neither"},
	{"./cmd/sealctl", []string{"sealdesk/core/pdf/render", "github.com/klippa-app/go-pdfium", "github.com/tetratelabs/wazero", "encoding/gob"},
		"sealctl starts once per file a script verifies, and PDFium's packages cost about 2 ms of initialisation at every start (issue 13): it draws pages through cmd/sealctl-render (core/pdf/raster)"},
	{"./core/verify", []string{"sealdesk/core/pdf/render", "github.com/klippa-app/go-pdfium", "github.com/tetratelabs/wazero"},
		"the verifier draws through core/pdf/raster's Renderer, so that sealctl need not link PDFium; its callers pass one"},
	{"./assets/...", []string{"fyne.io/fyne", "sealdesk/"},
		"assets is plain go:embed data shared by UI, seals and reports; it imports nothing of ours"},
}

type listedPkg struct {
	ImportPath string
	Deps       []string
}

func listDeps(t *testing.T, pattern string) []listedPkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Deps", pattern)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pattern, err)
	}
	var pkgs []listedPkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p listedPkg
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// violations returns "pkg imports dep" for every dependency of pkgs matching a banned prefix.
func violations(pkgs []listedPkg, banned []string) []string {
	var bad []string
	for _, p := range pkgs {
		for _, d := range p.Deps {
			for _, b := range banned {
				if d == b || strings.HasPrefix(d, strings.TrimSuffix(b, "/")+"/") || (strings.HasSuffix(b, "/") && strings.HasPrefix(d, b)) {
					bad = append(bad, p.ImportPath+" -> "+d)
				}
			}
		}
	}
	return bad
}

func TestDependencyRules(t *testing.T) {
	if testing.Short() {
		t.Skip("go list over the module")
	}
	for _, r := range depRules {
		pkgs := listDeps(t, r.pkgs)
		if bad := violations(pkgs, r.banned); len(bad) > 0 {
			t.Errorf("%s: %s\n  %s", r.pkgs, r.why, strings.Join(bad, "\n  "))
		}
	}
}

// The checker itself must be able to fail: a synthetic graph that breaks each rule.
func TestDependencyRulesCatchViolations(t *testing.T) {
	for _, r := range depRules {
		fake := []listedPkg{{ImportPath: "sealdesk/x", Deps: []string{strings.TrimSuffix(r.banned[0], "/") + "/sub"}}}
		if len(violations(fake, r.banned)) == 0 {
			t.Errorf("rule for %s did not catch an import of %s", r.pkgs, r.banned[0])
		}
	}
	ok := []listedPkg{{ImportPath: "sealdesk/core/pdf", Deps: []string{"fmt", "sealdesk/core/pki", "github.com/pdfcpu/pdfcpu/pkg/api"}}}
	for _, r := range depRules[:2] {
		if bad := violations(ok, r.banned); len(bad) > 0 {
			t.Errorf("false positive: %v", bad)
		}
	}
}
