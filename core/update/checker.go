package update

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Source is the server the desktop is configured with (core/client implements it).
type Source interface {
	// Manifest returns the signed manifest published for platform, as served; an error wrapping
	// ErrNotPublished when the server has none.
	Manifest(ctx context.Context, platform string) ([]byte, error)
	// Download opens the file at path (a path on the same server) for reading.
	Download(ctx context.Context, path string) (io.ReadCloser, error)
}

// ErrNotPublished: the server has no update for the platform (or serves no updates at all).
var ErrNotPublished = errors.New("no update published")

// State keeps what the checker remembers across starts (the desktop's local store settings).
type State interface {
	Setting(key string) (string, bool, error)
	SetSetting(key, value string) error
}

// Keys of State.
const (
	KeySequence  = "update.sequence"   // the highest manifest sequence accepted
	KeyLastCheck = "update.last_check" // RFC 3339 time of the last check at start
)

// Checker checks for and downloads updates.
type Checker struct {
	Source   Source
	Key      ed25519.PublicKey // the release public key compiled into the app; nil: ReasonNoKey
	Current  string            // the version running
	Platform string            // GOOS-GOARCH of the running app
	State    State             // nil: nothing remembered (no replay protection across starts)
	Dir      string            // where downloads go (created if missing)
	MaxSize  int64             // largest file accepted (DefaultMaxSize)
	Now      func() time.Time
}

// Release is a checked manifest, newer than the running version.
type Release struct {
	Manifest
}

func (c *Checker) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Checker) maxSize() int64 {
	if c.MaxSize > 0 {
		return c.MaxSize
	}
	return DefaultMaxSize
}

// Check fetches the manifest for c.Platform and returns the release it offers, or an *Error
// (ReasonUpToDate when it is the version running).
func (c *Checker) Check(ctx context.Context) (*Release, error) {
	if len(c.Key) != ed25519.PublicKeySize {
		return nil, &Error{Reason: ReasonNoKey, Detail: "this build carries no release public key"}
	}
	if c.Source == nil {
		return nil, &Error{Reason: ReasonNoServer}
	}
	data, err := c.Source.Manifest(ctx, c.Platform)
	if errors.Is(err, ErrNotPublished) {
		return nil, &Error{Reason: ReasonNotPublished, Want: c.Platform, Err: err}
	}
	if err != nil {
		return nil, &Error{Reason: ReasonNetwork, Detail: "failed to fetch the manifest", Err: err}
	}
	m, err := Open(data, c.Key)
	if err != nil {
		return nil, err
	}
	if m.Platform != c.Platform {
		return nil, &Error{Reason: ReasonWrongPlatform, Have: m.Platform, Want: c.Platform}
	}
	seen, err := c.sequence()
	if err != nil {
		return nil, &Error{Reason: ReasonDisk, Detail: "failed to read the last sequence", Err: err}
	}
	if m.Sequence < seen {
		return nil, &Error{Reason: ReasonReplay, Have: strconv.FormatUint(m.Sequence, 10), Want: strconv.FormatUint(seen, 10)}
	}
	if m.Sequence > seen && c.State != nil {
		if err := c.State.SetSetting(KeySequence, strconv.FormatUint(m.Sequence, 10)); err != nil {
			return nil, &Error{Reason: ReasonDisk, Detail: "failed to keep the sequence", Err: err}
		}
	}
	switch cmp := CompareVersions(m.Version, c.Current); {
	case cmp == 0:
		return nil, &Error{Reason: ReasonUpToDate, Have: m.Version, Want: c.Current}
	case cmp < 0:
		return nil, &Error{Reason: ReasonDowngrade, Have: m.Version, Want: c.Current}
	}
	if m.MinVersion != "" && CompareVersions(c.Current, m.MinVersion) < 0 {
		return nil, &Error{Reason: ReasonTooOld, Have: c.Current, Want: m.MinVersion}
	}
	if m.Size > c.maxSize() {
		return nil, &Error{Reason: ReasonTooLarge, Have: strconv.FormatInt(m.Size, 10), Want: strconv.FormatInt(c.maxSize(), 10)}
	}
	return &Release{Manifest: *m}, nil
}

func (c *Checker) sequence() (uint64, error) {
	if c.State == nil {
		return 0, nil
	}
	v, ok, err := c.State.Setting(KeySequence)
	if err != nil || !ok {
		return 0, err
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, nil // a damaged value: start over rather than refuse every update
	}
	return n, nil
}

// Progress is called during Download with the bytes received so far and the total.
type Progress func(done, total int64)

// Download fetches the release's file into c.Dir, streaming into a temporary file that is
// checked (size, SHA-256) and only then renamed to the manifest's file name. It returns the
// file's path. A failed download leaves nothing behind.
func (c *Checker) Download(ctx context.Context, r *Release, progress Progress) (string, error) {
	if r == nil {
		return "", errors.New("no release")
	}
	if r.Size > c.maxSize() {
		return "", &Error{Reason: ReasonTooLarge, Have: strconv.FormatInt(r.Size, 10), Want: strconv.FormatInt(c.maxSize(), 10)}
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return "", &Error{Reason: ReasonDisk, Err: err}
	}
	body, err := c.Source.Download(ctx, r.FileURL())
	if err != nil {
		return "", &Error{Reason: ReasonNetwork, Detail: "failed to start the download", Err: err}
	}
	defer body.Close()
	tmp, err := os.CreateTemp(c.Dir, ".download-*")
	if err != nil {
		return "", &Error{Reason: ReasonDisk, Err: err}
	}
	keep := false
	defer func() {
		if !keep {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	var done int64
	buf := make([]byte, 64<<10)
	last := time.Time{}
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			done += int64(n)
			if done > r.Size {
				return "", &Error{Reason: ReasonSizeMismatch, Have: "> " + strconv.FormatInt(r.Size, 10), Want: strconv.FormatInt(r.Size, 10),
					Detail: "the server sends more bytes than the manifest says"}
			}
			h.Write(buf[:n])
			if _, err := tmp.Write(buf[:n]); err != nil {
				return "", &Error{Reason: ReasonDisk, Err: err}
			}
			if progress != nil && time.Since(last) > 100*time.Millisecond {
				progress(done, r.Size)
				last = time.Now()
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return "", &Error{Reason: ReasonNetwork, Detail: "download interrupted", Err: rerr}
		}
	}
	if progress != nil {
		progress(done, r.Size)
	}
	if done != r.Size {
		return "", &Error{Reason: ReasonSizeMismatch, Have: strconv.FormatInt(done, 10), Want: strconv.FormatInt(r.Size, 10)}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != r.SHA256 {
		return "", &Error{Reason: ReasonHashMismatch, Have: got, Want: r.SHA256}
	}
	if err := tmp.Sync(); err != nil {
		return "", &Error{Reason: ReasonDisk, Err: err}
	}
	if err := tmp.Close(); err != nil {
		return "", &Error{Reason: ReasonDisk, Err: err}
	}
	final := filepath.Join(c.Dir, r.File)
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", &Error{Reason: ReasonDisk, Err: fmt.Errorf("failed to rename the download: %w", err)}
	}
	keep = true
	return final, nil
}

// Due reports whether the daily check at start should run now: auto-checking on (the caller
// decides) and no check in the last 24 hours. MarkChecked records one.
func (c *Checker) Due() bool {
	if c.State == nil {
		return true
	}
	v, ok, err := c.State.Setting(KeyLastCheck)
	if err != nil || !ok {
		return true
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return true
	}
	now := c.now()
	return now.Sub(t) >= 24*time.Hour || t.After(now.Add(time.Hour)) // a clock set back: check
}

// MarkChecked records a check at start now.
func (c *Checker) MarkChecked() error {
	if c.State == nil {
		return nil
	}
	return c.State.SetSetting(KeyLastCheck, c.now().UTC().Format(time.RFC3339))
}
