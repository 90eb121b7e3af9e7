//go:build ignore

// Testsummary runs `go test -json ...` and prints what a person needs from it: each package's
// result line as it finishes, the full output of every failed test (its logs), a line per skipped
// test with its reason, a line each minute while packages are still running, and at the end a
// summary that counts passed, failed and skipped tests (subtests included) and names the skip
// reasons grouped ("17 skipped: no PostgreSQL"), closing with the plain line
// `N passed, N failed, N skipped`. It exits with go test's status (1 if go test exited 0 but a
// test failed, which cannot happen). The whole raw output (the text go test would print with -v)
// goes to the file given with -raw.
//
// Usage (from the Makefile):
//
//	go build -o build/testsummary .ci/testsummary.go
//	build/testsummary -raw build/test-output.txt -- go test -json -count=1 ./...
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

type event struct {
	Time        time.Time
	Action      string
	Package     string
	Test        string
	Elapsed     float64
	Output      string
	FailedBuild string
	ImportPath  string
}

// skipGroups names the common skip reasons; a message none of them matches is its own group.
var skipGroups = []struct {
	re   *regexp.Regexp
	name string
}{
	{regexp.MustCompile(`(?i)SEALDESK_TEST_POSTGRES|postgres`), "no PostgreSQL (SEALDESK_TEST_POSTGRES unset and no throwaway cluster)"},
	{regexp.MustCompile(`(?i)\.\./shared|corpus|interop`), "no ../shared test data (signed-PDF corpus, interop set) beside this clone"},
	{regexp.MustCompile(`SEALDESK_LONG`), "long test: set SEALDESK_LONG=1 to run it"},
	{regexp.MustCompile(`(?i)display|xvfb|\bGL\b|opengl`), "no display (run under xvfb-run)"},
	{regexp.MustCompile(`(?i)-short|testing\.Short`), "-short"},
}

type testState struct {
	pkg, name string
	out       []string
	done      bool
}

type summary struct {
	mu       sync.Mutex
	w        io.Writer
	tests    map[string]*testState // pkg + " " + test
	order    []string
	pkgStart map[string]time.Time
	pkgOut   map[string][]string
	passed   int
	failed   []string
	skipped  map[string][]string // group -> "pkg TestName"
	failPkgs []string
	pkgSkips []string // packages whose TestMain skipped all their tests, with its message
	lastLine time.Time
}

func key(pkg, test string) string { return pkg + " " + test }

func short(pkg string) string { return strings.TrimPrefix(pkg, "sealdesk/") }

func (s *summary) println(a ...any) {
	fmt.Fprintln(s.w, a...)
	s.lastLine = time.Now()
}

// skipReason is the last line a skipped test printed, without its file:line prefix.
func skipReason(out []string) string {
	for i := len(out) - 1; i >= 0; i-- {
		l := strings.TrimSpace(out[i])
		if l == "" || strings.HasPrefix(l, "=== ") || strings.HasPrefix(l, "--- ") {
			continue
		}
		if j := strings.Index(l, ": "); j > 0 && strings.Contains(l[:j], ".go:") {
			l = l[j+2:]
		}
		return l
	}
	return "no reason given"
}

func group(reason string) string {
	for _, g := range skipGroups {
		if g.re.MatchString(reason) {
			return g.name
		}
	}
	return reason
}

func (s *summary) handle(e event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch e.Action {
	case "build-output":
		fmt.Fprint(s.w, e.Output)
		s.lastLine = time.Now()
		return
	case "build-fail":
		return
	case "start":
		s.pkgStart[e.Package] = time.Now()
		return
	}
	if e.Test == "" { // package level
		switch e.Action {
		case "output":
			l := e.Output
			t := strings.TrimSpace(l)
			if t == "PASS" || t == "FAIL" || strings.HasPrefix(t, "=== ") {
				return
			}
			if strings.HasPrefix(l, "ok ") || strings.HasPrefix(l, "FAIL\t") || strings.HasPrefix(l, "?") ||
				strings.HasPrefix(l, "--- FAIL") {
				fmt.Fprint(s.w, l)
				s.lastLine = time.Now()
				return
			}
			// a TestMain that skips the whole package says so: shown now and in the summary
			if strings.Contains(strings.ToLower(t), "skip") {
				s.println(short(e.Package)+":", t)
				s.pkgSkips = append(s.pkgSkips, short(e.Package)+": "+t)
				return
			}
			// panics, timeouts, TestMain output: keep them, show them when the package fails
			s.pkgOut[e.Package] = append(s.pkgOut[e.Package], l)
		case "fail":
			delete(s.pkgStart, e.Package)
			s.failPkgs = append(s.failPkgs, e.Package)
			for _, l := range s.pkgOut[e.Package] {
				fmt.Fprint(s.w, l)
			}
			// tests that started and never ended (a panic or a timeout in the middle of them)
			for _, k := range s.order {
				t := s.tests[k]
				if t.pkg == e.Package && !t.done {
					t.done = true
					s.failed = append(s.failed, short(t.pkg)+" "+t.name+" (did not finish)")
					s.println("--- DID NOT FINISH:", short(t.pkg), t.name)
					for _, l := range t.out {
						fmt.Fprint(s.w, l)
					}
				}
			}
		case "pass", "skip":
			delete(s.pkgStart, e.Package)
		}
		return
	}
	k := key(e.Package, e.Test)
	t := s.tests[k]
	if t == nil {
		t = &testState{pkg: e.Package, name: e.Test}
		s.tests[k] = t
		s.order = append(s.order, k)
	}
	switch e.Action {
	case "output":
		t.out = append(t.out, e.Output)
	case "pass":
		t.done = true
		s.passed++
		t.out = nil
	case "fail":
		t.done = true
		s.failed = append(s.failed, short(t.pkg)+" "+t.name)
		s.println("--- FAIL:", short(t.pkg), t.name, fmt.Sprintf("(%.2fs)", e.Elapsed))
		for _, l := range t.out {
			if !strings.HasPrefix(strings.TrimSpace(l), "=== ") {
				fmt.Fprint(s.w, l)
			}
		}
		t.out = nil
	case "skip":
		t.done = true
		r := skipReason(t.out)
		g := group(r)
		s.skipped[g] = append(s.skipped[g], short(t.pkg)+" "+t.name)
		s.println("--- SKIP:", short(t.pkg), t.name+":", r)
		t.out = nil
	}
}

// heartbeat prints the packages still running when nothing was printed for a minute.
func (s *summary) heartbeat(stop <-chan struct{}) {
	tick := time.NewTicker(15 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		s.mu.Lock()
		if time.Since(s.lastLine) >= time.Minute && len(s.pkgStart) > 0 {
			var names []string
			for p, t0 := range s.pkgStart {
				names = append(names, fmt.Sprintf("%s (%s)", short(p), time.Since(t0).Round(time.Second)))
			}
			sort.Strings(names)
			if len(names) > 6 {
				names = append(names[:6], fmt.Sprintf("and %d more", len(names)-6))
			}
			s.println("    … still running:", strings.Join(names, ", "))
		}
		s.mu.Unlock()
	}
}

func (s *summary) report(elapsed time.Duration) (failed int) {
	nskip := 0
	for _, v := range s.skipped {
		nskip += len(v)
	}
	failed = len(s.failed)
	// a package that failed outside any test (build error, panic in init or TestMain) is a failure
	for _, p := range s.failPkgs {
		found := false
		for _, f := range s.failed {
			if strings.HasPrefix(f, short(p)+" ") {
				found = true
			}
		}
		if !found {
			failed++
			s.failed = append(s.failed, short(p)+" (package failed outside a test: build error, panic or timeout)")
		}
	}
	fmt.Fprintf(s.w, "\ntest summary (tests and subtests, %s):\n", elapsed.Round(time.Second))
	fmt.Fprintf(s.w, "  %d passed\n", s.passed)
	if failed > 0 {
		fmt.Fprintf(s.w, "  %d failed:\n", failed)
		for _, f := range s.failed {
			fmt.Fprintf(s.w, "      %s\n", f)
		}
	}
	groups := make([]string, 0, len(s.skipped))
	for g := range s.skipped {
		groups = append(groups, g)
	}
	sort.Slice(groups, func(i, j int) bool {
		if len(s.skipped[groups[i]]) != len(s.skipped[groups[j]]) {
			return len(s.skipped[groups[i]]) > len(s.skipped[groups[j]])
		}
		return groups[i] < groups[j]
	})
	for _, g := range groups {
		names := s.skipped[g]
		fmt.Fprintf(s.w, "  %d skipped: %s\n", len(names), g)
		shown := names
		if len(shown) > 8 {
			shown = shown[:8]
		}
		line := strings.Join(shown, ", ")
		if len(names) > len(shown) {
			line += fmt.Sprintf(", and %d more", len(names)-len(shown))
		}
		fmt.Fprintf(s.w, "      %s\n", line)
	}
	if len(s.pkgSkips) > 0 {
		fmt.Fprintf(s.w, "  %d packages skipped all their tests in TestMain (not counted above):\n", len(s.pkgSkips))
		for _, p := range s.pkgSkips {
			fmt.Fprintf(s.w, "      %s\n", p)
		}
	}
	fmt.Fprintf(s.w, "%d passed, %d failed, %d skipped\n", s.passed, failed, nskip)
	return failed
}

func main() {
	raw := flag.String("raw", "", "write go test's raw output (as -v prints it) to this file")
	flag.Parse()
	args := flag.Args()
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: testsummary [-raw FILE] -- go test -json [ARG...]")
		os.Exit(2)
	}
	var raww io.Writer = io.Discard
	if *raw != "" {
		f, err := os.Create(*raw)
		if err != nil {
			fmt.Fprintln(os.Stderr, "testsummary:", err)
			os.Exit(2)
		}
		defer f.Close()
		bw := bufio.NewWriter(f)
		defer bw.Flush()
		raww = bw
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stderr = os.Stderr
	cmd.Stdin = os.Stdin
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	s := &summary{w: os.Stdout, tests: map[string]*testState{}, pkgStart: map[string]time.Time{},
		pkgOut: map[string][]string{}, skipped: map[string][]string{}, lastLine: time.Now()}
	stop := make(chan struct{})
	go s.heartbeat(stop)
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			// not an event (go vet output, a build error printed by go itself): show it as is
			s.mu.Lock()
			fmt.Fprintf(s.w, "%s\n", line)
			fmt.Fprintf(raww, "%s\n", line)
			s.mu.Unlock()
			continue
		}
		if e.Package == "" {
			e.Package = e.ImportPath
		}
		if e.Action == "output" || e.Action == "build-output" {
			fmt.Fprint(raww, e.Output)
		}
		s.handle(e)
	}
	werr := cmd.Wait()
	close(stop)
	s.mu.Lock()
	failed := s.report(time.Since(start))
	s.mu.Unlock()
	if *raw != "" {
		fmt.Printf("(go test's full output: %s)\n", *raw)
	}
	var ee *exec.ExitError
	switch {
	case errors.As(werr, &ee):
		os.Exit(ee.ExitCode())
	case werr != nil:
		fmt.Fprintln(os.Stderr, "testsummary:", werr)
		os.Exit(2)
	case failed > 0:
		os.Exit(1)
	}
}
