package org

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
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

// Photos are decoded completely and re-encoded: what a header promises is not enough.
func TestCleanImage(t *testing.T) {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 200, 150)))
	good := b.Bytes()
	out, typ, w, h, err := CleanImage(good)
	if err != nil || typ != "image/png" || w != 200 || h != 150 {
		t.Fatalf("%s %d×%d %v", typ, w, h, err)
	}
	if _, err := png.Decode(bytes.NewReader(out)); err != nil {
		t.Fatalf("re-encoded photo does not decode: %v", err)
	}
	var ref *sync.Refusal
	// A valid header and then 5 MB of anything: refused (it used to be stored as it came).
	junk := append(append([]byte{}, good[:33]...), bytes.Repeat([]byte("x"), 5<<20-100)...)
	if _, _, _, _, err := CleanImage(junk); !errors.As(err, &ref) || ref.Status != 415 {
		t.Errorf("png header + junk: %v", err)
	}
	// A valid picture followed by hidden bytes: accepted, the hidden bytes are gone.
	hidden := append(append([]byte{}, good...), []byte("SECRET-PAYLOAD")...)
	out, _, _, _, err = CleanImage(hidden)
	if err != nil || bytes.Contains(out, []byte("SECRET-PAYLOAD")) {
		t.Errorf("trailing bytes: kept=%v err=%v", bytes.Contains(out, []byte("SECRET-PAYLOAD")), err)
	}
	// A tiny file declaring 8000×8000 pixels (64 MP): refused before decoding.
	bomb := append([]byte{}, good...)
	binary.BigEndian.PutUint32(bomb[16:], 8000)
	binary.BigEndian.PutUint32(bomb[20:], 8000)
	binary.BigEndian.PutUint32(bomb[29:], crc32.ChecksumIEEE(bomb[12:29]))
	if cfg, err := png.DecodeConfig(bytes.NewReader(bomb)); err != nil || cfg.Width != 8000 {
		t.Fatalf("test bomb: %v %v", cfg, err)
	}
	if _, _, _, _, err := CleanImage(bomb); !errors.As(err, &ref) || ref.Code != "photo_size" {
		t.Errorf("64 MP bomb: %v", err)
	}
	b.Reset()
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 20, 20)))
	if _, _, _, _, err := CleanImage(b.Bytes()); err == nil {
		t.Error("accepted a 20×20 photo")
	}
	if _, _, _, _, err := CleanImage([]byte("%PDF-1.7")); !errors.As(err, &ref) || ref.Status != 415 {
		t.Errorf("pdf: %v", err)
	}
}

func FuzzCleanImage(f *testing.F) {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 120, 120)))
	f.Add(b.Bytes())
	f.Add([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x7f\xff\xff\xff\x7f\xff\xff\xff\x08\x02\x00\x00\x00"))
	f.Add([]byte{0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte("GIF89a"))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, typ, w, h, err := CleanImage(data)
		if err == nil && (typ == "" || w < MinPhotoSide || h < MinPhotoSide || w > MaxPhotoSide || h > MaxPhotoSide || len(out) == 0) {
			t.Fatalf("accepted %s %d×%d", typ, w, h)
		}
		var ref *sync.Refusal
		if err != nil && !errors.As(err, &ref) {
			t.Fatalf("error is not a refusal: %v", err)
		}
	})
}

// Names and logins are NFKC-normalised; invisible and bidirectional characters are refused.
func TestNamesAndLoginsNormalised(t *testing.T) {
	for in, want := range map[string]string{
		"张三": "张三", "　张三　": "张三", "Anna  Smith": "Anna Smith", "阿卜杜·热合曼": "阿卜杜·热合曼", "ＡＢＣ": "ABC",
		"张\u202e三": "", "张三\u200b": "", "\u200b": "", "\ufeff张三": "", "张\u2066三\u2069": "", "张\n三": "",
		"张\ue000三": "", "\u3164": "", "123": "", "\xff": "",
	} {
		got, err := CheckName(in)
		if err != nil {
			got = ""
		}
		if got != want {
			t.Errorf("CheckName(%q) = %q, want %q (%v)", in, got, want, err)
		}
	}
	for in, want := range map[string]string{
		"１３８１２３４５６７８": "sms:13812345678", "+８６ １３８-1234-5678": "sms:13812345678", "li＠example.com": "email:li@example.com",
		"138\u200b12345678": "", "li\u200b@example.com": "", "li@exa\u202emple.com": "", "lí@example.com": "", "li@例子.cn": "",
	} {
		l, ch, err := NormalizeLogin(in)
		got := ""
		if err == nil {
			got = string(ch) + ":" + l
		}
		if got != want {
			t.Errorf("NormalizeLogin(%q) = %q, want %q", in, got, want)
		}
	}
}
