package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"sealdesk/core/update"
)

const releaseUsage = `usage: sealctl release keygen --out release.key
       sealctl release pubkey --key release.key
       sealctl release sign --key release.key --file SealDesk-0.2.0-x64.msi --version 0.2.0
                            --platform windows-amd64 [--min-version V] [--sequence N]
                            [--notes-zh TEXT | --notes-zh-file F] [--notes-en TEXT | --notes-en-file F]
                            --out UPDATES_DIR/windows-amd64.json
       sealctl release verify --pubkey BASE64 UPDATES_DIR/windows-amd64.json

keygen writes a new Ed25519 release key (PKCS #8 PEM, mode 0600; openssl genpkey -algorithm
ed25519 makes the same kind) and prints its public key: build the desktop with
  make build-desktop RELEASE_PUBKEY=<that base64>
Keep the private key offline. sign reads the file's size and SHA-256, signs the manifest and
writes it; copy it and the file into the folder sealdesk-server serves with --updates. The
sequence (default: the current Unix time) must grow with every manifest: desktops refuse a
manifest older than one they accepted. verify checks a manifest as the desktop will (signature
with the public key compiled into it, fields) and, when the file it names lies beside it, the
file's size and SHA-256; exit 0 good, 1 refused.
`

func runRelease(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, releaseUsage)
		return 2
	}
	switch args[0] {
	case "keygen":
		return runReleaseKeygen(args[1:], stdout, stderr)
	case "pubkey":
		return runReleasePubkey(args[1:], stdout, stderr)
	case "sign":
		return runReleaseSign(args[1:], stdout, stderr)
	case "verify":
		return runReleaseVerify(args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, releaseUsage)
	return 2
}

func releaseFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("sealctl release "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, releaseUsage) }
	return fs
}

func runReleaseKeygen(args []string, stdout, stderr io.Writer) int {
	fs := releaseFlags("keygen", stderr)
	out := fs.String("out", "", "private key file to create")
	if err := fs.Parse(args); err != nil || *out == "" || fs.NArg() > 0 {
		fmt.Fprint(stderr, releaseUsage)
		return 2
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		fmt.Fprintln(stderr, "sealctl release keygen:", err)
		return 1
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		fmt.Fprintln(stderr, "sealctl release keygen:", err)
		return 1
	}
	f, err := os.OpenFile(*out, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		fmt.Fprintln(stderr, "sealctl release keygen:", err)
		return 1
	}
	werr := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(*out)
		fmt.Fprintln(stderr, "sealctl release keygen:", werr)
		return 1
	}
	fmt.Fprintf(stdout, "public key %s (key id %s)\n", base64.StdEncoding.EncodeToString(pub), update.KeyID(pub))
	return 0
}

// readReleaseKey reads an Ed25519 private key from a PKCS #8 PEM file.
func readReleaseKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s: not a PEM PRIVATE KEY (PKCS #8)", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an Ed25519 key", path)
	}
	return priv, nil
}

func runReleasePubkey(args []string, stdout, stderr io.Writer) int {
	fs := releaseFlags("pubkey", stderr)
	keyFile := fs.String("key", "", "private key file")
	if err := fs.Parse(args); err != nil || *keyFile == "" || fs.NArg() > 0 {
		fmt.Fprint(stderr, releaseUsage)
		return 2
	}
	priv, err := readReleaseKey(*keyFile)
	if err != nil {
		fmt.Fprintln(stderr, "sealctl release pubkey:", err)
		return 1
	}
	pub := priv.Public().(ed25519.PublicKey)
	fmt.Fprintln(stdout, base64.StdEncoding.EncodeToString(pub))
	return 0
}

func runReleaseSign(args []string, stdout, stderr io.Writer) int {
	fs := releaseFlags("sign", stderr)
	keyFile := fs.String("key", "", "release private key (PKCS #8 PEM)")
	file := fs.String("file", "", "the installer to publish")
	version := fs.String("version", "", "its version, e.g. 0.2.0")
	platform := fs.String("platform", "", "GOOS-GOARCH, e.g. windows-amd64, darwin-arm64")
	minVersion := fs.String("min-version", "", "oldest version that may update to it directly")
	sequence := fs.Uint64("sequence", 0, "manifest sequence (default: the current Unix time)")
	notesZh := fs.String("notes-zh", "", "release notes in Chinese")
	notesEn := fs.String("notes-en", "", "release notes in English")
	notesZhFile := fs.String("notes-zh-file", "", "file of the Chinese release notes")
	notesEnFile := fs.String("notes-en-file", "", "file of the English release notes")
	out := fs.String("out", "", "manifest to write (UPDATES_DIR/<platform>.json)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || *keyFile == "" || *file == "" || *version == "" || *platform == "" || *out == "" {
		fmt.Fprint(stderr, releaseUsage)
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "sealctl release sign:", err)
		return 1
	}
	priv, err := readReleaseKey(*keyFile)
	if err != nil {
		return fail(err)
	}
	notes := map[string]string{}
	for lang, v := range map[string][2]string{"zh": {*notesZh, *notesZhFile}, "en": {*notesEn, *notesEnFile}} {
		text := v[0]
		if v[1] != "" {
			b, err := os.ReadFile(v[1])
			if err != nil {
				return fail(err)
			}
			text = string(b)
		}
		if text = strings.TrimSpace(text); text != "" {
			notes[lang] = text
		}
	}
	f, err := os.Open(*file)
	if err != nil {
		return fail(err)
	}
	h := sha256.New()
	size, err := io.Copy(h, f)
	f.Close()
	if err != nil {
		return fail(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	seq := *sequence
	if seq == 0 {
		seq = uint64(now.Unix())
	}
	m := update.Manifest{Product: update.Product, Version: *version, Platform: *platform, MinVersion: *minVersion,
		Sequence: seq, IssuedAt: now, File: filepath.Base(*file), Size: size,
		SHA256: hex.EncodeToString(h.Sum(nil)), Notes: notes}
	signed, err := update.Sign(m, priv)
	if err != nil {
		return fail(err)
	}
	if filepath.Base(*out) != *platform+".json" {
		fmt.Fprintf(stderr, "sealctl release sign: warning: sealdesk-server serves the manifest of %s from %s.json\n", *platform, *platform)
	}
	tmp := *out + ".tmp"
	if err := os.WriteFile(tmp, signed, 0o644); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, *out); err != nil {
		os.Remove(tmp)
		return fail(err)
	}
	fmt.Fprintf(stdout, "%s: %s %s for %s, %d bytes, sha256 %s, sequence %d, key %s\n", *out, m.File, m.Version, m.Platform,
		m.Size, m.SHA256, m.Sequence, update.KeyID(priv.Public().(ed25519.PublicKey)))
	return 0
}

func runReleaseVerify(args []string, stdout, stderr io.Writer) int {
	fs := releaseFlags("verify", stderr)
	pubArg := fs.String("pubkey", "", "release public key (base64, as compiled into the desktop)")
	if err := fs.Parse(args); err != nil || *pubArg == "" || fs.NArg() != 1 {
		fmt.Fprint(stderr, releaseUsage)
		return 2
	}
	pub, err := update.ParsePublicKey(*pubArg)
	if err != nil {
		fmt.Fprintln(stderr, "sealctl release verify:", err)
		return 2
	}
	path := fs.Arg(0)
	b, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(stderr, "sealctl release verify:", err)
		return 1
	}
	m, err := update.Open(b, pub)
	if err != nil {
		fmt.Fprintln(stderr, "sealctl release verify:", err)
		return 1
	}
	if filepath.Base(path) != m.Platform+".json" {
		fmt.Fprintf(stderr, "sealctl release verify: %s holds the manifest of %s; the server serves it from %s.json\n", path, m.Platform, m.Platform)
		return 1
	}
	file := filepath.Join(filepath.Dir(path), m.File)
	f, err := os.Open(file)
	if err != nil {
		fmt.Fprintf(stderr, "sealctl release verify: the manifest names %s: %v\n", m.File, err)
		return 1
	}
	h := sha256.New()
	size, err := io.Copy(h, f)
	f.Close()
	if err != nil {
		fmt.Fprintln(stderr, "sealctl release verify:", err)
		return 1
	}
	if size != m.Size || hex.EncodeToString(h.Sum(nil)) != m.SHA256 {
		fmt.Fprintf(stderr, "sealctl release verify: %s is %d bytes with sha256 %x; the manifest says %d bytes, %s\n", m.File, size, h.Sum(nil), m.Size, m.SHA256)
		return 1
	}
	fmt.Fprintf(stdout, "%s: good — %s %s for %s, %d bytes, sequence %d, signed by key %s\n", path, m.File, m.Version, m.Platform, m.Size, m.Sequence, update.KeyID(pub))
	return 0
}
