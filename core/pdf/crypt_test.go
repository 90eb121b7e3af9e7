package pdf

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestDecryptAgainstQPDF encrypts a small file with qpdf (an independent implementation) under
// every standard-handler revision with an empty user password, many times for AES-256 (its
// Algorithm 2.B loop length depends on the random key), and reads the strings and the content
// stream back; a user password stays ErrEncrypted.
func TestDecryptAgainstQPDF(t *testing.T) {
	if _, err := exec.LookPath("qpdf"); err != nil {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatal("qpdf is required in CI")
		}
		t.Skip("qpdf not installed")
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	offs := []int{}
	obj := func(s string) { offs = append(offs, b.Len()); fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offs), s) }
	obj("<</Type/Catalog/Pages 2 0 R>>")
	obj("<</Type/Pages/Kids[3 0 R]/Count 1>>")
	obj("<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Contents 4 0 R/Title(Secret title)>>")
	obj("<</Length 22>>stream\nBT (Hello world) Tj ET\nendstream")
	x := b.Len()
	fmt.Fprintf(&b, "xref\n0 5\n0000000000 65535 f \n")
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<</Size 5/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n", x)
	dir := t.TempDir()
	src := filepath.Join(dir, "in.pdf")
	os.WriteFile(src, b.Bytes(), 0o600)
	cases := []struct {
		name  string
		args  []string
		runs  int
		user  string
		check bool
	}{
		{"rc4-40", []string{"40"}, 1, "", true},
		{"rc4-128", []string{"128", "--use-aes=n"}, 1, "", true},
		{"aes-128", []string{"128", "--use-aes=y"}, 1, "", true},
		{"aes-256", []string{"256"}, 24, "", true},
		{"aes-256-user-password", []string{"256"}, 1, "pw", false},
	}
	for _, c := range cases {
		for i := 0; i < c.runs; i++ {
			dst := filepath.Join(dir, fmt.Sprintf("%s-%d.pdf", c.name, i))
			args := append([]string{"--allow-weak-crypto", "--object-streams=disable", "--encrypt", c.user, "owner"}, c.args...)
			args = append(args, "--", src, dst)
			if out, err := exec.Command("qpdf", args...).CombinedOutput(); err != nil {
				t.Fatalf("qpdf %v: %v\n%s", args, err, out)
			}
			data, _ := os.ReadFile(dst)
			_, err := Open(bytes.NewReader(data), int64(len(data)), nil)
			if err != ErrEncrypted {
				t.Fatalf("%s: without Decrypt: %v, want ErrEncrypted", c.name, err)
			}
			f, err := Open(bytes.NewReader(data), int64(len(data)), &Options{Decrypt: true})
			if !c.check {
				if err == nil {
					t.Fatalf("%s: opened without the user password", c.name)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s run %d: %v", c.name, i, err)
			}
			p, err := f.Page(1)
			if err != nil {
				t.Fatal(err)
			}
			if s, _ := p.Dict.Get("Title").(String); string(s.Bytes) != "Secret title" {
				t.Fatalf("%s: string decrypted to %q", c.name, s.Bytes)
			}
			st, _ := f.Resolve(p.Dict.Get("Contents"))
			data2, err := f.StreamData(st.(*Stream))
			if err != nil || string(bytes.TrimSpace(data2)) != "BT (Hello world) Tj ET" {
				t.Fatalf("%s: content decrypted to %q (%v)", c.name, data2, err)
			}
			if _, _, err := f.NewUpdate().Bytes(); err == nil {
				t.Fatalf("%s: appending to an encrypted file was allowed", c.name)
			}
		}
	}
}
