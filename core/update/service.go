package update

import (
	"context"
	"crypto/ed25519"
	"sync"
)

// KeyAuto in State is "off" when the user turned the daily check at start off.
const KeyAuto = "update.auto"

// Service is the self-update as the desktop's 设置 › 关于 uses it: the checker over whichever
// server the desktop is configured with at the moment of the check.
type Service struct {
	// Checker holds the key, the running version, the platform, the state and the download
	// folder; its Source is replaced by SourceFor's at every check.
	Checker Checker
	// SourceFor returns the configured server, or an *Error with ReasonNoServer (单机模式).
	SourceFor func() (Source, error)
	Installer Installer
	// Log, when set, receives one line per check and download result (English, no secrets).
	Log func(format string, args ...any)

	mu  sync.Mutex
	src map[*Release]Source // the server each release came from
}

func (s *Service) logf(format string, args ...any) {
	if s.Log != nil {
		s.Log(format, args...)
	}
}

// Check asks the configured server for a newer release.
func (s *Service) Check(ctx context.Context) (*Release, error) {
	c := s.Checker
	c.Source = nil
	if len(c.Key) != ed25519.PublicKeySize {
		return c.Check(ctx) // says ReasonNoKey before anyone is asked
	}
	if s.SourceFor != nil {
		src, err := s.SourceFor()
		if err != nil {
			s.logf("update check: %v", err)
			return nil, err
		}
		c.Source = src
	}
	r, err := c.Check(ctx)
	if err != nil {
		s.logf("update check: %v", err)
		return nil, err
	}
	s.mu.Lock()
	if s.src == nil {
		s.src = map[*Release]Source{}
	}
	s.src[r] = c.Source
	s.mu.Unlock()
	s.logf("update check: %s %s offered (%d bytes, sequence %d)", r.Platform, r.Version, r.Size, r.Sequence)
	return r, nil
}

// Download fetches and checks the release's file from the server it came from.
func (s *Service) Download(ctx context.Context, r *Release, progress Progress) (string, error) {
	c := s.Checker
	s.mu.Lock()
	c.Source = s.src[r]
	s.mu.Unlock()
	if c.Source == nil {
		return "", &Error{Reason: ReasonNoServer, Detail: "release not from a check of this service"}
	}
	path, err := c.Download(ctx, r, progress)
	if err != nil {
		s.logf("update download: %v", err)
		return "", err
	}
	s.logf("update download: %s %s checked (%d bytes)", r.File, r.Version, r.Size)
	return path, nil
}

// Install starts the installer (see Installer.Install).
func (s *Service) Install(path string) (quit bool, err error) {
	quit, err = s.Installer.Install(path)
	s.logf("update install %s: quit=%v err=%v", path, quit, err)
	return quit, err
}

// AutoCheck reports whether the daily check at start is on (the default).
func (s *Service) AutoCheck() bool {
	if s.Checker.State == nil {
		return true
	}
	v, _, _ := s.Checker.State.Setting(KeyAuto)
	return v != "off"
}

// SetAutoCheck turns the daily check at start on or off.
func (s *Service) SetAutoCheck(on bool) error {
	if s.Checker.State == nil {
		return nil
	}
	v := "on"
	if !on {
		v = "off"
	}
	return s.Checker.State.SetSetting(KeyAuto, v)
}

// StartCheckDue reports whether a check at start should run now (on, and none in 24 hours); it
// records the check when it says yes.
func (s *Service) StartCheckDue() bool {
	if !s.AutoCheck() || !s.Checker.Due() {
		return false
	}
	s.Checker.MarkChecked()
	return true
}
