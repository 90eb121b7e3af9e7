package ui

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"

	"sealdesk/core/keystore"
	"sealdesk/core/sealkey/pkcs11key"
	"sealdesk/core/tsa"
)

// LocalServices are the desktop's offline half: this machine's seals and signatures, the personal
// key, trust settings and the embedded backend's CA and TSA. main.go builds them from
// store/desktop and core/server; tests from in-memory fakes. A nil field means "not available".
type LocalServices struct {
	// Prefs keeps small settings of this machine (trust roots, system roots on/off).
	Prefs LocalPrefs
	// PlatformRoots are the embedded (or configured) server's roots: always trusted.
	PlatformRoots []*x509.Certificate
	// Library is 我的印章: designed and uploaded seals, drawn and uploaded signatures.
	Library SealLibrary
	// Keys holds the personal key, encrypted under the signing PIN (or on a UKey).
	Keys *keystore.Keystore
	// Tokens lists UKeys and makes key pairs on them (core/sealkey/pkcs11key.Personal); nil
	// hides the UKey part of 设置 › 签名密钥.
	Tokens Tokens
	// CA certifies the personal key and stamps signatures with the time.
	CA CertAuthority
	// Recent remembers opened documents.
	Recent RecentList
	// Profile is whose local data the services above hold now: the signed-in account's, or the
	// local profile's (本机, nobody signed in). nil: one set of data in the data folder.
	Profile Profile
}

// Profile is the active profile of the local data (main.go's over store/desktop.Profiles): each
// account that signs in on this machine has its own seals, keys, recent documents, drafts and
// queued work. The shell rebuilds its screens when it changes, so a screen never shows one
// account's data to another.
type Profile interface {
	// ID names the profile ("" for the local one).
	ID() string
	// Dir is the folder of the profile's files: 发起签署's drafts/ and templates/, the
	// signed-offline outbox/ and downloaded contracts/.
	Dir() string
}

// Tokens are the UKeys (PKCS #11 tokens) the personal key may live on.
type Tokens interface {
	// List loads module and lists its tokens with their certificates (no login).
	List(module string) ([]pkcs11key.TokenInfo, error)
	// Generate logs in with pin and makes a key pair of alg on the token.
	Generate(module, label, serial, pin string, alg pkcs11key.Alg) (keystore.TokenRef, crypto.PublicKey, error)
	// ImportCertificate stores the issued certificate on the token next to its key.
	ImportCertificate(ref keystore.TokenRef, cert *x509.Certificate) error
}

// LocalPrefs is a small key/value store of this machine's settings.
type LocalPrefs interface {
	Setting(key string) (value string, ok bool, err error)
	SetSetting(key, value string) error
}

// Library item kinds (the same words store/desktop uses).
const (
	ItemDesignedSeal  = "designed-seal"
	ItemUploadedSeal  = "uploaded-seal"
	ItemSignatureDraw = "signature-draw"
	ItemSignatureScan = "signature-scan"
)

// LibraryItem is one of my seals or signatures.
type LibraryItem struct {
	ID, Kind, Name    string
	Created           time.Time
	WidthMM, HeightMM float64
	PNG               []byte
	Spec, Strokes     []byte // JSON (designed seals, drawn signatures)
	Original          []byte // the uploaded photo
}

// IsSeal reports whether the item is a seal (rather than a personal signature).
func (it LibraryItem) IsSeal() bool {
	return it.Kind == ItemDesignedSeal || it.Kind == ItemUploadedSeal
}

// SealLibrary stores my seals and signatures.
type SealLibrary interface {
	Items() ([]LibraryItem, error)
	Save(LibraryItem) (LibraryItem, error)
	Delete(id string) error
	// Watch calls f after every change of the items (from any goroutine) until stop is
	// called, so that every list of them follows the store.
	Watch(f func()) (stop func())
}

// RecentList remembers opened documents.
type RecentList interface {
	AddRecent(path, kind string) error
}

// CertAuthority is the backend's CA and TSA as the desktop uses them.
type CertAuthority interface {
	// Certify sends a PEM CSR for the person's name and ID number and returns the issued
	// certificate first, then its issuers.
	Certify(ctx context.Context, csrPEM []byte, name, idNumber string) ([]*x509.Certificate, error)
	// Timestamper is the TSA client, or nil when the backend cannot be reached.
	Timestamper() tsa.Timestamper
	// Roots are the CA's root certificates (trusted by the verifier like PlatformRoots). It may
	// wait for a backend that is still starting: call it off the UI goroutine.
	Roots() []*x509.Certificate
}

// FileOpener is a screen that takes files handed to the application (dropped, "open with",
// `sealdesk FILE…`).
type FileOpener interface {
	OpenFiles(paths []string)
}

// OpenFiles routes files handed to the application: with the verifier showing, or when any
// of them is a signed PDF, they go to 文件验签; otherwise to the document view when it exists.
func (s *Shell) OpenFiles(paths []string) {
	if len(paths) == 0 {
		return
	}
	if v, ok := s.screens[NavSend].(*sendScreen); ok && s.current == NavSend && v.composing() {
		v.compose.AddFiles(paths) // 发起签署: dropped files join the envelope
		return
	}
	if v, ok := s.screens[NavSend].(*sendScreen); ok && s.current == NavSend && v.signingHere() {
		v.OpenFiles(paths[:1]) // 本机签署: the dropped document (signed or not: sign it again) opens to sign
		return
	}
	target := NavDocuments
	if s.current == NavVerify {
		target = NavVerify
	} else {
		for _, p := range paths {
			if looksSigned(p) {
				target = NavVerify
				break
			}
		}
	}
	o, ok := s.screens[target].(FileOpener)
	if !ok {
		if o, ok = s.screens[NavVerify].(FileOpener); !ok {
			return
		}
		target = NavVerify
	}
	s.Show(target)
	o.OpenFiles(paths)
}

// OnDropped is the window's drop handler: main.go installs it with Window.SetOnDropped.
func (s *Shell) OnDropped(_ fyne.Position, uris []fyne.URI) {
	var paths []string
	for _, u := range uris {
		if u != nil && u.Scheme() == "file" {
			paths = append(paths, u.Path())
		}
	}
	s.OpenFiles(paths)
}

// looksSigned is a cheap routing guess (not a verdict): a PDF whose first megabyte or last four
// megabytes mention /ByteRange (signing appends the signature dictionary at the end). It reads at
// most 5 MB, so it can run on the UI goroutine even for very large files.
func looksSigned(path string) bool {
	if strings.EqualFold(filepath.Ext(path), ".ofd") {
		return true // an OFD is opened to be verified (sealed or not: a seal picture is not a seal)
	}
	if !strings.EqualFold(filepath.Ext(path), ".pdf") {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return false
	}
	size := st.Size()
	const head, tail = 1 << 20, 4 << 20
	needle := []byte("/ByteRange")
	read := func(off, n int64) []byte {
		buf := make([]byte, n)
		m, _ := f.ReadAt(buf, off)
		return buf[:m]
	}
	if size <= head+tail {
		return bytes.Contains(read(0, size), needle)
	}
	return bytes.Contains(read(0, head), needle) || bytes.Contains(read(size-tail, tail), needle)
}

// LooksSigned reports whether path looks like a signed PDF (it holds a /ByteRange), as the
// window's file routing decides.
func LooksSigned(path string) bool { return looksSigned(path) }
