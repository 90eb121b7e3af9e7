package envelope

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	qrcode "github.com/skip2/go-qrcode"

	"sealdesk/core/api"
	"sealdesk/core/pdf"
	"sealdesk/core/sign"
	"sealdesk/core/tsa"
)

// Platform is the server's own signing identity: it certifies sent documents, signs 签署报告
// and timestamps completed documents.
type Platform struct {
	Signer      crypto.Signer
	Cert        *x509.Certificate
	Chain       []*x509.Certificate // issuing CA, root
	Timestamper tsa.Timestamper
	Revocation  sign.RevocationSource
}

// kindOf detects a file's type by its first bytes.
func kindOf(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("%PDF-")) || (len(b) > 1024 && bytes.Contains(b[:1024], []byte("%PDF-"))):
		return "pdf"
	case bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}):
		return "jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	}
	return ""
}

// imagePDF makes the one-page PDF of an image with pdf.ImageDocument — the very page the desktop
// shows when the sender places boxes on that image, so boxes land where they were placed.
func imagePDF(b []byte, name string) ([]byte, error) {
	out, err := pdf.ImageDocument(b)
	var le *pdf.LimitError
	switch {
	case errors.As(err, &le):
		return nil, bad("image_too_large", fmt.Sprintf("图片「%s」的像素超过 %d 万", name, pdf.MaxImagePixels/10000))
	case err != nil:
		return nil, bad("bad_image", fmt.Sprintf("图片「%s」无法读取", name))
	}
	return out, nil
}

// openPDF opens bytes with core/pdf and returns the pages, refusing what cannot be sent.
func openPDF(b []byte, name string) (*pdf.File, []pdf.Page, error) {
	f, err := pdf.Open(bytes.NewReader(b), int64(len(b)), nil)
	if errors.Is(err, pdf.ErrEncrypted) {
		return nil, nil, bad("encrypted_pdf", fmt.Sprintf("文件「%s」已加密，无法签署，请先解除密码保护", name))
	}
	if err != nil {
		return nil, nil, bad("bad_pdf", fmt.Sprintf("文件「%s」不是可读取的 PDF", name))
	}
	pages, err := f.Latest().Pages()
	if err != nil || len(pages) == 0 {
		return nil, nil, bad("bad_pdf", fmt.Sprintf("文件「%s」没有可读取的页面", name))
	}
	return f, pages, nil
}

// MaxPagePixels bounds a page's picture at 96 DPI — what the signing page, the desktop and the
// verifier draw it at (core/pdf/render's default MaxRenderPixels): a larger page could be sent
// but never shown, so never signed.
const MaxPagePixels = 40_000_000

// checkPageSizes refuses a document with a page too large to draw (its visible size times
// /UserUnit, at 96 DPI, over MaxPagePixels) or with an empty one.
func checkPageSizes(pages []pdf.Page, name string) error {
	const px = 96.0 / 72
	for _, p := range pages {
		w, h := p.VisibleSize()
		if u, ok := pdf.Number(p.Dict.Get("UserUnit")); ok && u > 0 {
			w, h = w*u, h*u
		}
		if !(w > 0 && h > 0) {
			return bad("bad_page_size", fmt.Sprintf("文件「%s」第 %d 页没有可显示的大小", name, p.Number))
		}
		if w*px*h*px > MaxPagePixels {
			return bad("page_too_large", fmt.Sprintf("文件「%s」第 %d 页过大（%.0f × %.0f 毫米）：每页在 96 DPI 下不能超过 %d 万像素，否则无法显示和签署",
				name, p.Number, w/72*25.4, h/72*25.4, MaxPagePixels/10000))
		}
	}
	return nil
}

// QRSize is the side of the verification QR code in points (about 16 mm), QRMargin its distance
// from the page's lower-right corner as displayed.
const (
	QRSize   = 46.0
	QRMargin = 8.0
	// QRStrip is the height of the white strip added below a page that draws a large image.
	QRStrip = QRSize + 2*QRMargin
	// QRImagePixels: a page that draws an image at least this many pixels wide and high (a
	// scan, a photo, a JPEG or PNG sent as a contract) gets the strip.
	QRImagePixels = 400
)

// stampQR adds, as one incremental update before any signature, the verification QR code to the
// lower-right margin of every page as the user sees it. A page that draws a large image (a scan,
// a photo; most often full-bleed) would have the code over its picture, so that page is first
// extended by a white strip of QRStrip points below its visible bottom edge, and the code sits
// in the strip: nothing of the page is covered. It returns, per page number, how far the page's
// visible coordinates moved up (QRStrip for extended pages), so boxes placed on the original
// page keep their place on the content.
//
// A page without such an image keeps its size and gets the code in its corner; a vector
// drawing that fills the corner is not detected (that would take rendering every page at send).
func stampQR(b []byte, url string) ([]byte, map[int]float64, error) {
	f, pages, err := openPDF(b, "")
	if err != nil {
		return nil, nil, err
	}
	q, err := qrcode.New(url, qrcode.Medium)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to make the qr code: %w", err)
	}
	shift := map[int]float64{}
	bits := q.Bitmap() // with its quiet zone
	n := len(bits)
	raw := make([]byte, 0, n*n)
	for _, row := range bits {
		for _, black := range row {
			if black {
				raw = append(raw, 0)
			} else {
				raw = append(raw, 255)
			}
		}
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(raw)
	zw.Close()
	u := f.NewUpdate()
	img := u.Add(&pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Image"), "Width": pdf.Int(n),
		"Height": pdf.Int(n), "ColorSpace": pdf.Name("DeviceGray"), "BitsPerComponent": pdf.Int(8),
		"Filter": pdf.Name("FlateDecode"), "Interpolate": pdf.Bool(false), "Length": pdf.Int(z.Len())}, Data: z.Bytes(), Offset: -1})
	open := u.Add(&pdf.Stream{Dict: pdf.Dict{"Length": pdf.Int(2)}, Data: []byte("q\n"), Offset: -1})
	v := f.Latest()
	const xname = pdf.Name("SDVerifyQR")
	for _, p := range pages {
		w, _ := p.VisibleSize()
		crop := p.CropBox
		nd := pdf.Dict{}
		for k, x := range p.Dict {
			nd[k] = x
		}
		if drawsLargeImage(v, p) {
			strip, err := sign.VisibleToUser(p.CropBox, p.Rotate, sign.VisibleRect{X1: 0, Y1: -QRStrip, X2: w, Y2: 0})
			if err != nil {
				return nil, nil, err
			}
			crop = unionRect(p.CropBox, strip)
			nd["MediaBox"] = rectArray(unionRect(p.MediaBox, strip))
			nd["CropBox"] = rectArray(crop)
			shift[p.Number] = QRStrip
		}
		vr := sign.VisibleRect{X1: w - QRMargin - QRSize, Y1: QRMargin, X2: w - QRMargin, Y2: QRMargin + QRSize}
		ur, err := sign.VisibleToUser(crop, p.Rotate, vr)
		if err != nil {
			return nil, nil, err
		}
		draw := fmt.Sprintf("Q\nq %.3f 0 0 %.3f %.3f %.3f cm /%s Do Q\n", ur.Width(), ur.Height(), ur.LLX, ur.LLY, xname)
		end := u.Add(&pdf.Stream{Dict: pdf.Dict{"Length": pdf.Int(len(draw))}, Data: []byte(draw), Offset: -1})
		var contents pdf.Array
		if c := p.Dict.Get("Contents"); c != nil {
			rc, err := v.Resolve(c)
			if err != nil {
				return nil, nil, bad("bad_pdf", "页面内容无法读取")
			}
			if arr, ok := rc.(pdf.Array); ok {
				contents = append(contents, arr...)
			} else {
				contents = append(contents, c)
			}
		}
		if len(contents) > 0 {
			contents = append(pdf.Array{open}, contents...)
			nd["Contents"] = append(contents, end)
		} else {
			nd["Contents"] = end
			end2 := strings.TrimPrefix(draw, "Q\n")
			u.Set(end, &pdf.Stream{Dict: pdf.Dict{"Length": pdf.Int(len(end2))}, Data: []byte(end2), Offset: -1})
		}
		res := pdf.Dict{}
		if p.Resources != nil {
			if rr, err := v.Resolve(p.Resources); err == nil {
				if d, ok := rr.(pdf.Dict); ok {
					for k, x := range d {
						res[k] = x
					}
				}
			}
		}
		xo := pdf.Dict{}
		if x := res.Get("XObject"); x != nil {
			if rx, err := v.Resolve(x); err == nil {
				if d, ok := rx.(pdf.Dict); ok {
					for k, x := range d {
						xo[k] = x
					}
				}
			}
		}
		xo[xname] = img
		res["XObject"] = xo
		nd["Resources"] = res
		if err := u.Set(p.Ref, nd); err != nil {
			return nil, nil, err
		}
	}
	section, _, err := u.Bytes()
	if err != nil {
		return nil, nil, fmt.Errorf("failed to lay out the qr update: %w", err)
	}
	return append(append(make([]byte, 0, len(b)+len(section)), b...), section...), shift, nil
}

// drawsLargeImage reports whether page p's resources hold an image XObject of at least
// QRImagePixels on each side.
func drawsLargeImage(v *pdf.View, p pdf.Page) bool {
	if p.Resources == nil {
		return false
	}
	rr, err := v.Resolve(p.Resources)
	res, ok := rr.(pdf.Dict)
	if err != nil || !ok {
		return false
	}
	x := res.Get("XObject")
	if x == nil {
		return false
	}
	rx, err := v.Resolve(x)
	xo, ok := rx.(pdf.Dict)
	if err != nil || !ok {
		return false
	}
	for _, ref := range xo {
		o, err := v.Resolve(ref)
		if err != nil {
			continue
		}
		st, ok := o.(*pdf.Stream)
		if !ok {
			continue
		}
		if n, _ := st.Dict.Get("Subtype").(pdf.Name); n != "Image" {
			continue
		}
		w, _ := st.Dict.Get("Width").(pdf.Int)
		h, _ := st.Dict.Get("Height").(pdf.Int)
		if w >= QRImagePixels && h >= QRImagePixels {
			return true
		}
	}
	return false
}

func unionRect(a, b pdf.Rect) pdf.Rect {
	return pdf.Rect{LLX: min(a.LLX, b.LLX), LLY: min(a.LLY, b.LLY), URX: max(a.URX, b.URX), URY: max(a.URY, b.URY)}
}

func rectArray(r pdf.Rect) pdf.Array {
	return pdf.Array{pdf.Real{Value: r.LLX}, pdf.Real{Value: r.LLY}, pdf.Real{Value: r.URX}, pdf.Real{Value: r.URY}}
}

// prepared is a document ready to send.
type prepared struct {
	doc   api.Document
	state docState
	sent  []byte
}

// prepareDoc turns one uploaded file into the document that is sent: PDF (images converted),
// the QR code on every page, the recipients' empty fields, and the server's first signature.
func prepareDoc(ctx context.Context, dir string, idx int, ref api.FileRef, original []byte, fields []api.FieldPlacement,
	verifyURL string, pl *Platform, certify bool) (*prepared, error) {
	kind := kindOf(original)
	if kind == "" {
		return nil, bad("bad_file_type", fmt.Sprintf("文件「%s」的格式不受支持：仅支持 PDF、JPEG、JPG、PNG", ref.Name))
	}
	b := original
	if kind != "pdf" {
		var err error
		if b, err = imagePDF(original, ref.Name); err != nil {
			return nil, err
		}
	}
	f, pages, err := openPDF(b, ref.Name)
	if err != nil {
		return nil, err
	}
	if sigs, _, err := f.FindSigDicts(); err == nil && len(sigs) > 0 {
		return nil, bad("already_signed", fmt.Sprintf("文件「%s」已包含签名，请上传未签署的文件", ref.Name))
	}
	if err := checkPageSizes(pages, ref.Name); err != nil {
		return nil, err
	}
	np := len(pages)
	var shift map[int]float64
	if b, shift, err = stampQR(b, verifyURL); err != nil {
		return nil, err
	}
	doc := api.Document{Index: idx, Name: ref.Name, Pages: np, Original: ref.SHA256, Fields: map[int][]string{}}
	var specs []sign.FieldSpec
	counts := map[string]int{}
	for _, fp := range fields {
		if fp.Document != idx {
			continue
		}
		if fp.Page > np {
			return nil, bad("bad_field", fmt.Sprintf("文件「%s」只有 %d 页，签署位置不能放在第 %d 页", ref.Name, np, fp.Page))
		}
		ck := fmt.Sprintf("%d/%s", fp.Recipient, fp.Kind)
		counts[ck]++
		name := fieldName(fp.Recipient, fp.Kind, counts[ck])
		dy := shift[fp.Page] // the page grew a strip below: its content moved up
		specs = append(specs, sign.FieldSpec{Name: name, Page: fp.Page, Rect: sign.VisibleRect{X1: fp.Rect[0], Y1: fp.Rect[1] + dy, X2: fp.Rect[2], Y2: fp.Rect[3] + dy}})
		doc.Fields[fp.Recipient] = append(doc.Fields[fp.Recipient], name)
	}
	in := filepath.Join(dir, fmt.Sprintf("doc%d-qr.pdf", idx))
	if err := os.WriteFile(in, b, 0o600); err != nil {
		return nil, err
	}
	if len(specs) > 0 {
		out := filepath.Join(dir, fmt.Sprintf("doc%d-fields.pdf", idx))
		if err := sign.AddFields(in, out, specs); err != nil {
			return nil, bad("bad_field", fmt.Sprintf("文件「%s」的签署位置无法添加：%v", ref.Name, err))
		}
		in = out
	}
	st := docState{Kind: kind}
	if pl != nil && pl.Signer != nil {
		out := filepath.Join(dir, fmt.Sprintf("doc%d-sent.pdf", idx))
		opts := &sign.Options{Signer: pl.Signer, Cert: pl.Cert, Chain: pl.Chain, Field: "SealDesk.sent",
			Reason: "SealDesk 发送的文件（签署前的原文）", Name: pl.Cert.Subject.CommonName}
		if certify {
			opts.Certify, st.Certify = 2, 2
		}
		if pl.Timestamper != nil {
			opts.Level, opts.Timestamper = sign.LevelBT, pl.Timestamper
		}
		if _, err := sign.SignFile(ctx, in, out, opts); err != nil {
			return nil, fmt.Errorf("failed to certify document %d: %w", idx, err)
		}
		in = out
		st.Sigs = 1
	}
	sent, err := os.ReadFile(in)
	if err != nil {
		return nil, err
	}
	sf, _, err := openPDF(sent, ref.Name)
	if err != nil {
		return nil, err
	}
	st.Revs = len(sf.Revisions())
	return &prepared{doc: doc, state: st, sent: sent}, nil
}
