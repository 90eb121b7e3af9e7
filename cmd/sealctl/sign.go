package main

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	pkcs12 "software.sslmate.com/src/go-pkcs12"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
	"sealdesk/core/sign"
	"sealdesk/core/tsa"
)

const signUsage = `usage: sealctl sign --in IN --out OUT (--p12 FILE [--pass-env VAR] | --cert PEM --key PEM [--chain PEM])
                    [--field NAME | --page N --rect x1,y1,x2,y2] [--image PNG|JPG] [--fit fit|stretch] [--caption L1|L2]
                    [--cross-page PNG [--cross-page-width PT]] [--tsa URL] [--level B-B|B-T|B-LT|B-LTA]
                    [--certify p1|p2|p3] [--reason R] [--location L] [--hash sha256|sha384|sha512] [--pss]
       sealctl sign --upgrade --in IN --out OUT --level B-LT|B-LTA [--tsa URL] [--chain PEM]

Rectangles are in points in the page's visible coordinates (origin at the lower-left corner of
the page as displayed, after its CropBox and rotation). --out may equal --in; on any error
nothing is written and the input is untouched. An SM2 key (--key sm2.pem: PKCS#8 or SEC1 PEM,
with its SM2 certificate) signs with SM3 and SM2 (GM/T 0009 default ID); --hash does not apply.
`

// runSign signs a PDF, or with --upgrade adds LTV data / a document timestamp to a signed one.
func runSign(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sign", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, signUsage) }
	in := fs.String("in", "", "input PDF")
	out := fs.String("out", "", "output PDF")
	p12 := fs.String("p12", "", "PKCS#12 file with key and certificates")
	passEnv := fs.String("pass-env", "", "environment variable holding the PKCS#12 password")
	certPEM := fs.String("cert", "", "signer certificate (PEM)")
	keyPEM := fs.String("key", "", "private key (PEM, unencrypted)")
	chainPEM := fs.String("chain", "", "issuer certificates (PEM)")
	field := fs.String("field", "", "signature field to fill (or name of the new field)")
	page := fs.Int("page", 0, "page for a new visible signature (1-based)")
	rect := fs.String("rect", "", "x1,y1,x2,y2 of a new visible signature")
	image := fs.String("image", "", "PNG or JPEG drawn in the signature box")
	fit := fs.String("fit", "fit", "fit (keep aspect ratio) or stretch")
	caption := fs.String("caption", "", "caption lines under the image, separated by | (e.g. 张三|2026-03-01)")
	cross := fs.String("cross-page", "", "seal image cut across the right edges of all pages (骑缝章)")
	crossW := fs.Float64("cross-page-width", 119, "cross-page seal width in points")
	tsaURL := fs.String("tsa", "", "RFC 3161 timestamp authority URL")
	level := fs.String("level", "B-B", "PAdES level")
	certify := fs.String("certify", "", "certify with DocMDP p1, p2 or p3")
	reason := fs.String("reason", "", "reason")
	location := fs.String("location", "", "location")
	hashName := fs.String("hash", "sha256", "digest: sha256, sha384, sha512")
	pss := fs.Bool("pss", false, "RSASSA-PSS for RSA keys")
	upgrade := fs.Bool("upgrade", false, "upgrade an already signed PDF to B-LT or B-LTA")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *in == "" || *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	lvl, err := sign.ParseLevel(*level)
	if err != nil {
		fmt.Fprintln(stderr, "sealctl sign:", err)
		return 2
	}
	var ts tsa.Timestamper
	if *tsaURL != "" {
		ts = &tsa.Client{URL: *tsaURL}
	}
	var chain []*x509.Certificate
	if *chainPEM != "" {
		if chain, err = readCerts(*chainPEM); err != nil {
			fmt.Fprintln(stderr, "sealctl sign:", err)
			return 2
		}
	}
	if *upgrade {
		n, err := sign.Upgrade(context.Background(), *in, *out, &sign.UpgradeOptions{Level: lvl, Timestamper: ts, Extra: chain})
		if err != nil {
			return signFailed(stderr, err)
		}
		fmt.Fprintf(stdout, "upgraded %s to %s: %d revision(s) added → %s\n", *in, lvl, n, *out)
		return 0
	}
	o := &sign.Options{Field: *field, Level: lvl, Timestamper: ts, Reason: *reason, Location: *location, PSS: *pss, Chain: chain}
	if *caption != "" {
		o.Caption = strings.Split(*caption, "|")
	}
	switch *hashName {
	case "sha256":
		o.Hash = crypto.SHA256
	case "sha384":
		o.Hash = crypto.SHA384
	case "sha512":
		o.Hash = crypto.SHA512
	default:
		fmt.Fprintf(stderr, "sealctl sign: unknown hash %q\n", *hashName)
		return 2
	}
	switch *fit {
	case "fit":
		o.Fit = sign.Fit
	case "stretch":
		o.Fit = sign.Stretch
	default:
		fmt.Fprintf(stderr, "sealctl sign: --fit must be fit or stretch\n")
		return 2
	}
	switch *certify {
	case "":
	case "p1", "p2", "p3":
		o.Certify = int((*certify)[1] - '0')
	default:
		fmt.Fprintf(stderr, "sealctl sign: --certify must be p1, p2 or p3\n")
		return 2
	}
	if *page > 0 || *rect != "" {
		r, err := parseRect(*rect)
		if err != nil || *page < 1 {
			fmt.Fprintln(stderr, "sealctl sign: --page N and --rect x1,y1,x2,y2 go together")
			return 2
		}
		o.Page, o.Rect = *page, r
	}
	if *image != "" {
		if o.Image, err = os.ReadFile(*image); err != nil {
			fmt.Fprintln(stderr, "sealctl sign:", err)
			return 2
		}
	}
	if *cross != "" {
		img, err := os.ReadFile(*cross)
		if err != nil {
			fmt.Fprintln(stderr, "sealctl sign:", err)
			return 2
		}
		o.CrossPage = &sign.CrossPage{Image: img, Width: *crossW}
	}
	switch {
	case *p12 != "":
		data, err := os.ReadFile(*p12)
		if err != nil {
			fmt.Fprintln(stderr, "sealctl sign:", err)
			return 2
		}
		pass := ""
		if *passEnv != "" {
			pass = os.Getenv(*passEnv)
		}
		key, cert, cas, err := pkcs12.DecodeChain(data, pass)
		if err != nil {
			fmt.Fprintln(stderr, "sealctl sign: failed to read PKCS#12:", err)
			return 2
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			fmt.Fprintf(stderr, "sealctl sign: PKCS#12 key %T cannot sign\n", key)
			return 2
		}
		o.Signer, o.Cert, o.Chain = signer, cert, append(o.Chain, cas...)
	case *certPEM != "" && *keyPEM != "":
		certs, err := readCerts(*certPEM)
		if err != nil {
			fmt.Fprintln(stderr, "sealctl sign:", err)
			return 2
		}
		kb, err := os.ReadFile(*keyPEM)
		if err != nil {
			fmt.Fprintln(stderr, "sealctl sign:", err)
			return 2
		}
		if o.Signer, err = pki.ParsePrivateKeyPEM(kb); err != nil {
			fmt.Fprintln(stderr, "sealctl sign:", err)
			return 2
		}
		o.Cert, o.Chain = certs[0], append(o.Chain, certs[1:]...)
	default:
		fmt.Fprintln(stderr, "sealctl sign: give --p12 FILE or --cert PEM --key PEM")
		return 2
	}
	res, err := sign.SignFile(context.Background(), *in, *out, o)
	if err != nil {
		return signFailed(stderr, err)
	}
	fmt.Fprintf(stdout, "signed %s → %s: field %s, %s, CMS %d of %d bytes reserved, %d revision(s) added\n",
		*in, *out, res.Field, lvl, res.CMSSize, res.Reserved, res.Revisions)
	return 0
}

func signFailed(stderr io.Writer, err error) int {
	if errors.Is(err, pdf.ErrEncrypted) {
		fmt.Fprintln(stderr, "sealctl sign: 加密文档无法签署，请先解除密码保护 (encrypted documents cannot be signed; remove the password first)")
		return 1
	}
	fmt.Fprintln(stderr, "sealctl sign:", err)
	return 1
}

func readCerts(path string) ([]*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return pki.ParseCertsPEM(b)
}

// parseRect reads "x1,y1,x2,y2".
func parseRect(s string) (sign.VisibleRect, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return sign.VisibleRect{}, fmt.Errorf("rectangle %q is not x1,y1,x2,y2", s)
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return sign.VisibleRect{}, fmt.Errorf("rectangle %q: %w", s, err)
		}
		v[i] = f
	}
	r := sign.VisibleRect{X1: v[0], Y1: v[1], X2: v[2], Y2: v[3]}
	if r.Width() <= 0 || r.Height() <= 0 {
		return sign.VisibleRect{}, fmt.Errorf("rectangle %q has no area", s)
	}
	return r, nil
}
