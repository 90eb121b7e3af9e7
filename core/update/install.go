package update

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
)

// Installer starts the installer of a downloaded update.
type Installer struct {
	GOOS string // runtime.GOOS
	// Start runs a command without waiting for it (nil: exec.Command(...).Start()).
	Start func(name string, args ...string) error
}

// ErrManualInstall: on this OS the user installs the file themselves (Linux: the UI says where
// it is).
var ErrManualInstall = errors.New("install the downloaded file by hand")

// Install starts the installer: on Windows `msiexec /i FILE` (the app then quits so the MSI can
// replace it); on macOS `open FILE` (a .dmg or .pkg; the app quits too). Elsewhere it returns
// ErrManualInstall. quit is true when the app should exit now.
func (in Installer) Install(file string) (quit bool, err error) {
	start := in.Start
	if start == nil {
		start = func(name string, args ...string) error { return exec.Command(name, args...).Start() }
	}
	ext := strings.ToLower(filepath.Ext(file))
	switch in.GOOS {
	case "windows":
		if ext != ".msi" {
			return false, ErrManualInstall
		}
		if err := start("msiexec", "/i", file); err != nil {
			return false, err
		}
		return true, nil
	case "darwin":
		if ext != ".dmg" && ext != ".pkg" && ext != ".zip" {
			return false, ErrManualInstall
		}
		if err := start("open", file); err != nil {
			return false, err
		}
		return true, nil
	}
	return false, ErrManualInstall
}
