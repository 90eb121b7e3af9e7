package org

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"strings"
	"testing"

	"sealdesk/core/notify"
	"sealdesk/core/sync"
)

func TestCheckPassword(t *testing.T) {
	for pw, ok := range map[string]bool{
		"Passw0rdX": true, "aB3aaaaa": true, "aB3aaaaaaaaaaaaaaa": true, // 8 and 18
		"aB3aaaa": false, "aB3aaaaaaaaaaaaaaaa": false, // 7 and 19
		"password1": false, "PASSWORD1": false, "Password": false, "Pass w0rd": false, "Pässw0rdX": false,
	} {
		if err := CheckPassword(pw); (err == nil) != ok {
			t.Errorf("%q: %v", pw, err)
		}
	}
}

func TestHashPassword(t *testing.T) {
	h, err := HashPassword("Passw0rdX")
	if err != nil || !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("%q %v", h, err)
	}
	if !VerifyPassword(h, "Passw0rdX") || VerifyPassword(h, "Passw0rdY") {
		t.Fatal("verify")
	}
	h2, _ := HashPassword("Passw0rdX")
	if h == h2 {
		t.Fatal("no salt")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", h[:len(h)-5] + "!!!!!", "$argon2id$v=19$m=99999999,t=1,p=1$AAAA$AAAA"} {
		if VerifyPassword(bad, "Passw0rdX") {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestNormalizeLogin(t *testing.T) {
	for in, want := range map[string]string{
		"13812345678": "sms:13812345678", "+86 138 1234 5678": "sms:13812345678", "008613812345678": "sms:13812345678",
		"Li.Si@Example.COM": "email:li.si@example.com", " a@b.cn ": "email:a@b.cn",
		"12812345678": "", "1381234567": "", "李四 <a@b.cn>": "", "a@b.cn\r\nBcc: x": "", "": "",
	} {
		l, ch, err := NormalizeLogin(in)
		got := ""
		if err == nil {
			got = string(ch) + ":" + l
		}
		if got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
	if _, ch, _ := NormalizeLogin("13812345678"); ch != notify.SMS {
		t.Error(ch)
	}
}

func TestSniffImage(t *testing.T) {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 200, 150)))
	typ, w, h, err := SniffImage(b.Bytes())
	if err != nil || typ != "image/png" || w != 200 || h != 150 {
		t.Fatalf("%s %d×%d %v", typ, w, h, err)
	}
	b.Reset()
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 20, 20)))
	if _, _, _, err := SniffImage(b.Bytes()); err == nil {
		t.Error("accepted a 20×20 photo")
	}
	var ref *sync.Refusal
	if _, _, _, err := SniffImage([]byte("%PDF-1.7")); !errors.As(err, &ref) || ref.Status != 415 {
		t.Errorf("pdf: %v", err)
	}
}

func FuzzSniffImage(f *testing.F) {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 120, 120)))
	f.Add(b.Bytes())
	f.Add([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x7f\xff\xff\xff\x7f\xff\xff\xff\x08\x02\x00\x00\x00"))
	f.Add([]byte{0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte("GIF89a"))
	f.Fuzz(func(t *testing.T, data []byte) {
		typ, w, h, err := SniffImage(data)
		if err == nil && (typ == "" || w < 100 || h < 100 || w > 12000 || h > 12000) {
			t.Fatalf("accepted %s %d×%d", typ, w, h)
		}
		var ref *sync.Refusal
		if err != nil && !errors.As(err, &ref) {
			t.Fatalf("error is not a refusal: %v", err)
		}
	})
}
