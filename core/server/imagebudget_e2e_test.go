package server_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"testing"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/gate"
	"sealdesk/core/org"
	"sealdesk/core/server"
)

// pngHeader is a PNG that declares w×h pixels of the given bit depth (RGBA) and holds no pixel
// data: whatever judges it by its header refuses or accepts it at once, and a decoder fails.
func pngHeader(w, h uint32, depth byte, interlaced bool) []byte {
	chunk := func(typ string, data []byte) []byte {
		var b bytes.Buffer
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
		return b.Bytes()
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = depth, 6 // RGBA
	if interlaced {
		ihdr[12] = 1
	}
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, chunk("IHDR", ihdr)...)
	return append(out, chunk("IEND", nil)...)
}

// Red team s5, F1 (image decompression bombs): every uploaded image is judged by what decoding it
// takes (16-bit pixels take 8 bytes, an interlaced PNG twice its image) before any pixel is
// decoded, and decoded only inside the decode gate; the appeal letter is decoded only once the
// appeal is known to be the caller's. Before: a 130 KB 16-bit 4096×4096 logo took 6.6 s and
// 200 MB, six at once 1.6 GB; letters to appeals that did not exist were decoded, ungated.
func TestImageUploadsBoundedE2E(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			g := gate.New(&gate.Options{Slots: 1, Queue: 1, Wait: 20 * time.Millisecond})
			e := startWith(t, open(t), true, func(o *server.Options) { o.Hashes = g })
			a, c := e.register(t, newPhone()), e.register(t, newPhone())
			a.Retries503, c.Retries503 = -1, -1
			ent, err := a.CreateEnterprise(ctx, "杭州图片预算有限公司", newCreditCode(t))
			if err != nil {
				t.Fatal(err)
			}
			ap, err := c.StartAppeal(ctx, org.AppealRequest{Enterprise: ent.Name, Method: org.AppealLetter,
				PersonName: "丙申诉", PersonIDNumber: "11010519491231002X"})
			if err != nil {
				t.Fatal(err)
			}
			small := testImage(t, "png")
			seal := func(img []byte) error {
				_, err := a.CreateSeal(ctx, ent.ID, api.SealCreateRequest{Name: "合同专用章", Kind: api.SealContract, WidthMM: 42, HeightMM: 42, Image: img})
				return err
			}

			// Bombs: refused from the header, naming the limit, on every upload route.
			_, err = a.SetLogo(ctx, ent.ID, pngHeader(4096, 4096, 16, false)) // 128 MiB decoded
			wantCode(t, err, "image_too_large")
			_, err = a.SetLogo(ctx, ent.ID, pngHeader(4000, 4000, 8, true)) // 64 MB, interlaced: 128 MB
			wantCode(t, err, "image_too_large")
			_, err = a.SetLogo(ctx, ent.ID, pngHeader(4000, 4000, 8, false)) // 64 MB: decoded, and broken
			wantCode(t, err, "bad_logo")
			_, err = c.UploadAppealLetter(ctx, ap.ID, pngHeader(5000, 5000, 16, false)) // 200 MB
			wantCode(t, err, "image_too_large")
			err = seal(pngHeader(4000, 4000, 16, false))
			wantCode(t, err, "image_too_large")
			if ce, ok := err.(*client.Error); !ok || !bytes.Contains([]byte(ce.Message), []byte("100 MB")) {
				t.Errorf("the refusal does not name the limit: %v", err)
			}

			// With the decode gate full, uploads wait and are turned away (503, nothing stored);
			// a letter to an appeal that is not the caller's is refused before any decoding.
			release, err := g.Enter(ctx)
			if err != nil {
				t.Fatal(err)
			}
			_, err = a.SetLogo(ctx, ent.ID, small)
			wantCode(t, err, "busy")
			_, err = c.UploadAppealLetter(ctx, ap.ID, small)
			wantCode(t, err, "busy")
			wantCode(t, seal(small), "busy")
			_, err = c.UploadAppealLetter(ctx, "ap_nothing", pngHeader(5000, 5000, 8, false))
			wantCode(t, err, "appeal_not_found")
			_, err = a.UploadAppealLetter(ctx, ap.ID, small) // not a's appeal
			wantCode(t, err, "appeal_not_found")
			release()

			if st, err := a.SetLogo(ctx, ent.ID, small); err != nil || st.LogoWidth != 320 {
				t.Fatalf("logo after the gate freed: %+v %v", st, err)
			}
			if got, err := c.UploadAppealLetter(ctx, ap.ID, small); err != nil || got.State != org.AppealInReview {
				t.Fatalf("letter after the gate freed: %+v %v", got, err)
			}
			if err := seal(small); err != nil {
				t.Fatalf("seal after the gate freed: %v", err)
			}
		})
	}
}
