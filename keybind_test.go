package main

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sealdesk/core/pdf/render"
	"strings"
	"testing"
	"time"

	"sealdesk/core/keyguard"
	"sealdesk/core/keystore"
	"sealdesk/core/pdf/pdftest"
	"sealdesk/core/pki"
	"sealdesk/core/pki/pkitest"
	"sealdesk/core/sign"
	"sealdesk/core/verify"
	"sealdesk/store/desktop"
)

// The personal key bound to the OS account, against a real gnome-keyring-daemon: each step runs
// this test binary again inside its own `dbus-run-session` with its own HOME (an OS account),
// where gnome-keyring-daemon is started and its login keyring unlocked.
//
//  1. HOME a: enrol (the desktop's keystore wiring over the real local store), sign a PDF, verify it.
//  2. The data folder copied to HOME b: unlock is refused before any PIN is tried (the right PIN
//     gets the same answer as a wrong one, the record is unchanged).
//  3. HOME a again (a new daemon reading the same keyring files): unlock works; a wrong PIN is
//     counted in the keyring, not in the data folder.
//  4. The keyring item removed with secret-tool: refused like the copy.

const keybindPIN = "246813"

func TestKeyBoundToOSAccount(t *testing.T) {
	for _, tool := range []string{"dbus-run-session", "gnome-keyring-daemon", "secret-tool"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("SEALDESK_CI") != "" {
				t.Fatalf("%s is missing (Debian packages dbus, gnome-keyring, libsecret-tools): the OS-binding test is required in CI", tool)
			}
			t.Skipf("%s is missing (apt-get install dbus gnome-keyring libsecret-tools): OS-binding test skipped", tool)
		}
	}
	root := t.TempDir()
	homeA, homeB := filepath.Join(root, "a"), filepath.Join(root, "b")
	dataA, dataB := filepath.Join(root, "data-a"), filepath.Join(homeB, "SealDesk")
	for _, d := range []string{homeA, homeB, dataA} {
		os.MkdirAll(d, 0o700)
	}
	step := func(home, data, name string) {
		t.Helper()
		script := `eval "$(printf 'login-password' | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null && export GNOME_KEYRING_CONTROL && exec "$0" -test.run '^TestKeyBindingStep$' -test.v -test.count=1`
		cmd := exec.Command("dbus-run-session", "--", "sh", "-c", script, os.Args[0])
		var env []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") && !strings.HasPrefix(kv, "XDG_RUNTIME_DIR=") &&
				!strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "XDG_DATA_HOME=") {
				env = append(env, kv)
			}
		}
		cmd.Env = append(env, "HOME="+home, "SEALDESK_KEYBIND_STEP="+name, "SEALDESK_KEYBIND_DATA="+data)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestKeyBindingStep") {
			t.Fatalf("step %s (HOME %s): %v\n%s", name, filepath.Base(home), err, out)
		}
		t.Logf("step %s:\n%s", name, grepLines(string(out), "keybind:"))
	}
	step(homeA, dataA, "enrol")
	if err := copyDir(dataA, dataB); err != nil {
		t.Fatal(err)
	}
	step(homeB, dataB, "foreign")
	step(homeA, dataA, "home")
	step(homeA, dataA, "cleared")
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return strings.Join(out, "\n")
}

func copyDir(from, to string) error {
	return filepath.Walk(from, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if fi.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(dst)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

// TestKeyBindingStep is one step of TestKeyBoundToOSAccount, run by it in a D-Bus session.
func TestKeyBindingStep(t *testing.T) {
	name, data := os.Getenv("SEALDESK_KEYBIND_STEP"), os.Getenv("SEALDESK_KEYBIND_DATA")
	if name == "" {
		t.Skip("a step of TestKeyBoundToOSAccount, run by it inside dbus-run-session")
	}
	st, err := desktop.Open(filepath.Join(data, localFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ks := newKeystore(st, nil) // the desktop's wiring: keyguard.Default()
	if g := ks.Guard(); g.Name() != "secret-service" {
		t.Fatalf("guard %q (%s): the Secret Service of gnome-keyring-daemon was not found", g.Name(), g.Describe())
	}
	idFile := filepath.Join(data, "key-id")
	switch name {
	case "enrol":
		p := pkitest.New(t, &pkitest.Options{NoServer: true})
		start := time.Now()
		in, err := ks.Generate(keybindPIN)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("keybind: generated with %+v (calibrated) in %v", ks.Params(), time.Since(start))
		csrPEM, err := ks.CSR(in.ID, keybindPIN, pkix.Name{CommonName: "张三"})
		if err != nil {
			t.Fatal(err)
		}
		blk, _ := pem.Decode(csrPEM)
		now := time.Now()
		cert, err := pki.IssueFromCSR(p.Issuer(), blk.Bytes, pki.Request{Profile: pki.ProfilePerson,
			Subject: pkix.Name{CommonName: "张三", Country: []string{"CN"}}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if err := ks.SetCertificate(in.ID, append([]*x509.Certificate{cert}, p.Chain...)); err != nil {
			t.Fatal(err)
		}
		signer, err := ks.Unlock(in.ID, keybindPIN)
		if err != nil {
			t.Fatal(err)
		}
		pdfIn, pdfOut := filepath.Join(t.TempDir(), "in.pdf"), filepath.Join(t.TempDir(), "signed.pdf")
		writeOnePagePDF(t, pdfIn)
		if _, err := sign.SignFile(context.Background(), pdfIn, pdfOut, &sign.Options{Signer: signer, Cert: cert, Chain: p.Chain,
			Page: 1, Rect: sign.VisibleRect{X1: 72, Y1: 600, X2: 272, Y2: 680}}); err != nil {
			t.Fatal(err)
		}
		rep, err := verify.File(context.Background(), pdfOut, &verify.Options{Renderer: render.Shared(), Trust: verify.NewTrustStore(p.Root)})
		if err != nil || len(rep.Signatures) != 1 || rep.Signatures[0].Integrity != "valid" || rep.Signatures[0].Trust != "trusted" {
			t.Fatalf("signed with the bound key: %v %+v", err, rep)
		}
		os.WriteFile(idFile, []byte(in.ID), 0o600)
		t.Logf("keybind: enrolled key %s, signed and verified a PDF", in.ID)
	case "foreign", "cleared":
		b, _ := os.ReadFile(idFile)
		id := string(b)
		if name == "cleared" {
			if out, err := exec.Command("secret-tool", "clear", "service", keyguard.Service, "username", id).CombinedOutput(); err != nil {
				t.Fatalf("secret-tool clear: %v %s", err, out)
			}
		}
		before, _ := st.GetKey(id)
		for _, pin := range []string{"000000", keybindPIN} {
			start := time.Now()
			_, err := ks.Unlock(id, pin)
			var nh *keystore.NotHereError
			if !errors.As(err, &nh) {
				t.Fatalf("unlock with %s in another account: %v", pin, err)
			}
			t.Logf("keybind: %s: refused in %v without trying the PIN: %v", name, time.Since(start), err)
		}
		after, _ := st.GetKey(id)
		if string(before) != string(after) {
			t.Fatal("a refused unlock changed the record")
		}
	case "home":
		b, _ := os.ReadFile(idFile)
		id := string(b)
		if _, err := ks.Unlock(id, keybindPIN); err != nil {
			t.Fatalf("own account, new keyring daemon: %v", err)
		}
		before, _ := st.GetKey(id)
		_, err := ks.Unlock(id, "000000")
		var w *keystore.WrongPINError
		if !errors.As(err, &w) || w.Remaining != keystore.MaxAttempts-1 {
			t.Fatalf("wrong PIN: %v", err)
		}
		after, _ := st.GetKey(id)
		if string(before) != string(after) {
			t.Fatal("the wrong-PIN counter was written to the data folder")
		}
		c, err := ks.Guard().Counter(id)
		if err != nil || c.Failures != 1 {
			t.Fatalf("counter in the keyring: %+v %v", c, err)
		}
		if _, err := ks.Unlock(id, keybindPIN); err != nil {
			t.Fatal(err)
		}
		t.Logf("keybind: own account unlocks; the wrong PIN was counted in the keyring (%d)", c.Failures)
	default:
		t.Fatalf("unknown step %q", name)
	}
}

func writeOnePagePDF(t *testing.T, path string) {
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>", ""}
	stream := "0 0 1 rg 72 700 200 50 re f"
	objs[3] = fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(stream), stream)
	if err := os.WriteFile(path, pdftest.Classic(objs...), 0o600); err != nil {
		t.Fatal(err)
	}
}
