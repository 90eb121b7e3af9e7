package diag

import (
	"archive/zip"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestExportHoldsNoSecrets plants a private key, a PIN, a password, document text and a phone
// number in the data folder and (by mistake) in the log, exports, opens the zip and looks for
// each of them in every entry.
func TestExportHoldsNoSecrets(t *testing.T) {
	dir := t.TempDir()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	keyBody := strings.Split(keyPEM, "\n")[1] // a line of the key's base64
	const (
		pin      = "PIN=739102"
		password = "Sd7a1b2c3d4e5f6x"
		docText  = "甲方应于二〇二六年十二月前支付全部合同价款"
		phone    = "13912345678"
		idNumber = "110101199003070036"
	)
	os.WriteFile(filepath.Join(dir, "backend.key"), []byte(keyPEM), 0o600)
	os.WriteFile(filepath.Join(dir, "desktop.db"), []byte("bolt "+pin+" "+password+" "+docText), 0o600)
	os.MkdirAll(filepath.Join(dir, "documents"), 0o700)
	os.WriteFile(filepath.Join(dir, "documents", "合同.pdf"), []byte("%PDF "+docText), 0o600)

	l, err := OpenLog(dir, &Options{MaxSize: 2048, Files: 2})
	if err != nil {
		t.Fatal(err)
	}
	l.Printf("start: sealdesk 0.1.0")
	l.Printf("error: a careless caller logged %s and %s for %s", keyPEM, phone, idNumber)
	for i := range 30 {
		l.Printf("sync failure %d: server answered 503", i) // rotates
	}
	l.Close()
	// a log written by an older build, unfiltered
	os.WriteFile(filepath.Join(LogDir(dir), "sealdesk.2.log"), []byte("old line "+phone+"\n"+keyPEM), 0o600)

	dst := filepath.Join(t.TempDir(), "诊断信息.zip")
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	if err := Export(dst, dir, Versions{App: "0.1.0", Go: "go1.26", OS: "linux/amd64", Language: "zh", Server: "本机"}, now); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	all := ""
	for _, f := range zr.File {
		names = append(names, f.Name)
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		all += "\n=== " + f.Name + "\n" + string(b)
	}
	for _, secret := range []string{keyBody, "PRIVATE KEY", pin, "739102", password, docText, phone, idNumber} {
		if strings.Contains(all, secret) {
			t.Errorf("the zip holds %q", secret)
		}
	}
	for _, want := range []string{"SealDesk:    0.1.0", "desktop.db", "backend.key", "139****5678", "start: sealdesk 0.1.0", "sync failure 29", "GL renderer: unknown"} {
		if !strings.Contains(all, want) {
			t.Errorf("the zip lacks %q", want)
		}
	}
	if names[0] != "versions.txt" || !strings.Contains(strings.Join(names, " "), "logs/sealdesk.log") || !strings.Contains(strings.Join(names, " "), "logs/sealdesk.2.log") {
		t.Errorf("entries %v", names)
	}
	// no temporary file left beside it
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(dst), ".sealdesk-diagnostics-*"))
	if len(left) > 0 {
		t.Errorf("left %v", left)
	}
}

func TestExportFailureLeavesOldFile(t *testing.T) {
	dir := t.TempDir()
	dst := filepath.Join(dir, "missing-folder", "d.zip")
	if err := Export(dst, dir, Versions{}, time.Now()); err == nil {
		t.Fatal("export into a missing folder succeeded")
	}
	// dst is a folder: the rename fails, the temp file goes
	dst = filepath.Join(dir, "iam-a-folder")
	os.Mkdir(dst, 0o700)
	os.WriteFile(filepath.Join(dst, "keep"), []byte("x"), 0o600)
	if err := Export(dst, dir, Versions{}, time.Now()); err == nil {
		t.Fatal("export over a folder succeeded")
	}
	if _, err := os.Stat(filepath.Join(dst, "keep")); err != nil {
		t.Fatal("the folder's content was touched")
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".sealdesk-diagnostics-*"))
	if len(left) > 0 {
		t.Errorf("left %v", left)
	}
}
