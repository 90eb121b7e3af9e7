package diag

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRedact(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"login 13812345678 failed", "login 138****5678 failed"},
		{"13812345678", "138****5678"},
		{"a:13812345678,13987654321", "a:138****5678,139****4321"},
		{"order 213812345678901 id", "order 213812345678901 id"}, // longer digit runs are not phones
		{"12345678901", "12345678901"},                           // not a mobile prefix
		{"id 110101199003070036 ok", "id 110***********0036 ok"},
		{"id 11010119900307003X", "id 110***********003X"},
		{"key -----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY----- end", "key [PEM removed] end"},
		{"cut -----BEGIN EC PRIVATE KEY-----\nMHcC", "cut [PEM removed]"},
		{"同步失败：服务器 503", "同步失败：服务器 503"},
	} {
		if got := Redact(c.in); got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestLogRotates(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	l, err := OpenLog(dir, &Options{MaxSize: 200, Files: 3, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		l.Printf("line %02d phone 13812345678", i)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l.Printf("after close is dropped")
	names, _ := filepath.Glob(filepath.Join(LogDir(dir), "*"))
	var got []string
	for _, n := range names {
		got = append(got, filepath.Base(n))
		st, _ := os.Stat(n)
		if st.Size() > 200 {
			t.Errorf("%s is %d bytes, over the 200-byte cap", n, st.Size())
		}
		b, _ := os.ReadFile(n)
		if strings.Contains(string(b), "13812345678") {
			t.Errorf("%s holds the unmasked phone number", n)
		}
	}
	want := []string{"sealdesk.1.log", "sealdesk.2.log", "sealdesk.3.log", "sealdesk.log"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("files %v, want %v", got, want)
	}
	cur, _ := os.ReadFile(filepath.Join(LogDir(dir), LogName))
	if !strings.Contains(string(cur), "line 39 phone 138****5678") || !strings.HasPrefix(string(cur), "2026-12-04T10:00:00.000Z ") {
		t.Errorf("current log is %q", cur)
	}
	old, _ := os.ReadFile(filepath.Join(LogDir(dir), "sealdesk.3.log"))
	if strings.Contains(string(old), "line 00") {
		t.Errorf("the oldest lines were kept beyond 3 rotated files: %q", old)
	}

	// reopening appends
	l, err = OpenLog(dir, &Options{MaxSize: 200, Files: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Printf("again")
	cur2, _ := os.ReadFile(l.Path())
	if !strings.HasSuffix(string(cur2), " again\n") {
		t.Errorf("reopened log is %q", cur2)
	}
}

func TestLogConcurrentAndNil(t *testing.T) {
	var nl *Log
	nl.Printf("nothing")
	nl.Write([]byte("x"))
	nl.Close()

	l, err := OpenLog(t.TempDir(), &Options{MaxSize: 4096, Files: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				l.Printf("goroutine %d line %d", g, i)
			}
		}()
	}
	wg.Wait()
	b, _ := os.ReadFile(l.Path())
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if !strings.Contains(line, " goroutine ") {
			t.Fatalf("torn line %q", line)
		}
	}
}

func TestOpenLogUnwritable(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "logs"), []byte("a file"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenLog(dir, nil); err == nil {
		t.Fatal("OpenLog over a file named logs succeeded")
	}
}
