// Package update is the desktop's self-update: the manifest the release key signs, signing it
// (sealctl release sign), and the client side that fetches a manifest from the configured server,
// checks it against the release public key compiled into the app, downloads the file it names
// and checks that file before offering to install it.
//
// # What it refuses
//
// Each refusal is an *Error with a Reason the UI turns into a Chinese sentence:
//
//   - a manifest not signed by the release key the app carries (ReasonWrongKey), or whose
//     signature does not match its bytes (ReasonBadSignature);
//   - a manifest for another product or platform (ReasonWrongPlatform);
//   - the version running or an older one (ReasonUpToDate, ReasonDowngrade), a version that needs
//     a newer one installed first (ReasonTooOld);
//   - a replayed older manifest: every manifest carries a sequence number and the client keeps
//     the highest it has accepted (ReasonReplay), so an old, validly signed manifest cannot be
//     served again to hold users back on a version;
//   - a file larger than MaxSize or than the manifest says, smaller than it says, or with another
//     SHA-256 (ReasonTooLarge, ReasonSizeMismatch, ReasonHashMismatch); the download goes to a
//     temporary file that is renamed only after every check passed, and is removed otherwise;
//   - a file address outside the server the manifest came from (ReasonBadURL).
//
// The package never holds a private key except in Sign, which sealctl calls with the key file IT
// keeps offline.
package update

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Product is the only product name this client accepts.
const Product = "sealdesk"

// signContext separates manifest signatures from any other use of the release key.
const signContext = "sealdesk-update-manifest-v1\n"

// Limits.
const (
	// MaxManifest bounds a signed manifest's size (bytes).
	MaxManifest = 64 << 10
	// DefaultMaxSize bounds an update file (bytes) unless Checker.MaxSize says otherwise.
	DefaultMaxSize = 512 << 20
)

// Manifest describes one release for one platform; the release key signs its JSON.
type Manifest struct {
	Product    string    `json:"product"`               // Product
	Version    string    `json:"version"`               // e.g. 0.2.0
	Platform   string    `json:"platform"`              // GOOS-GOARCH, e.g. windows-amd64
	MinVersion string    `json:"min_version,omitempty"` // oldest version that may install it
	Sequence   uint64    `json:"sequence"`              // grows with every manifest IT signs
	IssuedAt   time.Time `json:"issued_at"`
	File       string    `json:"file"` // file name, e.g. SealDesk-0.2.0-x64.msi
	// URL is where the file is, on the server that serves the manifest: a path such as
	// /api/v1/updates/files/SealDesk-0.2.0-x64.msi (FilesPath + File when empty).
	URL    string            `json:"url"`
	Size   int64             `json:"size"`   // bytes
	SHA256 string            `json:"sha256"` // lower-case hex
	Notes  map[string]string `json:"notes"`  // release notes by language: zh, en
}

// FilesPath is where sealdesk-server serves update files.
const FilesPath = "/api/v1/updates/files/"

// ManifestPath is where sealdesk-server serves the manifest of a platform (GOOS-GOARCH).
func ManifestPath(platform string) string { return "/api/v1/updates/manifest/" + platform }

// Signed is the file IT publishes and the server serves as it is: the manifest's JSON and the
// Ed25519 signature over it.
type Signed struct {
	Manifest  json.RawMessage `json:"manifest"`
	KeyID     string          `json:"key_id"`    // KeyID of the signing key
	Signature string          `json:"signature"` // base64
}

// KeyID names a public key: the first 8 bytes of its SHA-256, in hex.
func KeyID(pub ed25519.PublicKey) string {
	s := sha256.Sum256(pub)
	return hex.EncodeToString(s[:8])
}

// ParsePublicKey reads a release public key written as base64 (the -ldflags value) or hex.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
		b, err = hex.DecodeString(s)
	}
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, errors.New("release public key is not 32 bytes of base64 or hex")
	}
	return ed25519.PublicKey(b), nil
}

var (
	platformRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]{2,16}-[a-z0-9]{2,16}$`) })
	// A file name: a letter or digit, then up to 127 of [A-Za-z0-9._+-] (the length is checked
	// apart: a {0,127} repeat compiles to a program of 127 copies, 160 KB at every start of
	// every program that links this package).
	fileRE   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*$`) })
	sha256RE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{64}$`) })
)

// ValidPlatform reports whether p has the GOOS-GOARCH form.
func ValidPlatform(p string) bool { return platformRE().MatchString(p) }

// ValidFile reports whether name is a plain file name the server may serve.
func ValidFile(name string) bool {
	return len(name) <= 128 && fileRE().MatchString(name) && !strings.Contains(name, "..") && !strings.HasSuffix(name, ".json")
}

// Check validates the manifest's own fields (not the signature).
func (m *Manifest) Check() error {
	switch {
	case m.Product != Product:
		return fmt.Errorf("manifest is for product %q", m.Product)
	case !ValidPlatform(m.Platform):
		return fmt.Errorf("manifest platform %q is not GOOS-GOARCH", m.Platform)
	case !ValidVersion(m.Version):
		return fmt.Errorf("manifest version %q is not a version", m.Version)
	case m.MinVersion != "" && !ValidVersion(m.MinVersion):
		return fmt.Errorf("manifest min_version %q is not a version", m.MinVersion)
	case m.Sequence == 0:
		return errors.New("manifest has no sequence")
	case !ValidFile(m.File):
		return fmt.Errorf("manifest file name %q is not a plain file name", m.File)
	case m.Size <= 0:
		return errors.New("manifest size is not positive")
	case !sha256RE().MatchString(m.SHA256):
		return errors.New("manifest sha256 is not 64 lower-case hex digits")
	case m.URL != "" && !strings.HasPrefix(m.URL, "/"):
		return fmt.Errorf("manifest url %q is not a path on the server", m.URL)
	}
	return nil
}

// FileURL is the path of the file on the server.
func (m *Manifest) FileURL() string {
	if m.URL != "" {
		return m.URL
	}
	return FilesPath + m.File
}

// Sign checks m and signs it with the release private key, returning the file to publish.
func Sign(m Manifest, priv ed25519.PrivateKey) ([]byte, error) {
	if m.URL == "" {
		m.URL = FilesPath + m.File
	}
	if err := m.Check(); err != nil {
		return nil, err
	}
	body, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	sig := ed25519.Sign(priv, append([]byte(signContext), body...))
	out, err := json.MarshalIndent(Signed{Manifest: body, KeyID: KeyID(priv.Public().(ed25519.PublicKey)),
		Signature: base64.StdEncoding.EncodeToString(sig)}, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// Open checks the signature of a published manifest with pub and returns the manifest. The
// manifest's JSON is compacted before the check, so re-indenting the file does not break it.
func Open(data []byte, pub ed25519.PublicKey) (*Manifest, error) {
	if len(data) > MaxManifest {
		return nil, &Error{Reason: ReasonBadManifest, Detail: fmt.Sprintf("manifest is larger than %d bytes", MaxManifest)}
	}
	var s Signed
	if err := json.Unmarshal(data, &s); err != nil || len(s.Manifest) == 0 {
		return nil, &Error{Reason: ReasonBadManifest, Detail: "manifest is not a signed manifest"}
	}
	var body bytes.Buffer
	if err := json.Compact(&body, s.Manifest); err != nil {
		return nil, &Error{Reason: ReasonBadManifest, Detail: "manifest is not json"}
	}
	sig, err := base64.StdEncoding.DecodeString(s.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, &Error{Reason: ReasonBadSignature, Detail: "signature is not 64 bytes of base64"}
	}
	if !ed25519.Verify(pub, append([]byte(signContext), body.Bytes()...), sig) {
		if s.KeyID != KeyID(pub) {
			return nil, &Error{Reason: ReasonWrongKey, Detail: fmt.Sprintf("manifest signed by key %q, this app trusts %s", s.KeyID, KeyID(pub))}
		}
		return nil, &Error{Reason: ReasonBadSignature, Detail: "signature does not match the manifest"}
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, &Error{Reason: ReasonBadManifest, Detail: "signed manifest does not decode: " + err.Error()}
	}
	if err := m.Check(); err != nil {
		return nil, &Error{Reason: ReasonBadManifest, Detail: err.Error()}
	}
	if path.Clean(m.FileURL()) != m.FileURL() {
		return nil, &Error{Reason: ReasonBadURL, Detail: "file url is not clean"}
	}
	return &m, nil
}

// ValidVersion reports whether v is N.N.N with an optional -prerelease.
func ValidVersion(v string) bool {
	_, ok := parseVersion(v)
	return ok
}

type version struct {
	nums [3]int
	pre  string
}

func parseVersion(v string) (version, bool) {
	var out version
	v = strings.TrimPrefix(v, "v")
	core, pre, hasPre := strings.Cut(v, "-")
	if hasPre {
		if pre == "" || len(pre) > 32 {
			return out, false
		}
		out.pre = pre
	}
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return out, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 1<<20 || (len(p) > 1 && p[0] == '0') {
			return out, false
		}
		out.nums[i] = n
	}
	return out, true
}

// CompareVersions returns -1, 0 or 1 as a is older than, the same as or newer than b; a
// pre-release (0.2.0-rc1) is older than its release. Invalid versions compare as 0.0.0-invalid.
func CompareVersions(a, b string) int {
	va, _ := parseVersion(a)
	vb, _ := parseVersion(b)
	for i := range 3 {
		if va.nums[i] != vb.nums[i] {
			if va.nums[i] < vb.nums[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case va.pre == vb.pre:
		return 0
	case va.pre == "":
		return 1
	case vb.pre == "":
		return -1
	case va.pre < vb.pre:
		return -1
	}
	return 1
}
