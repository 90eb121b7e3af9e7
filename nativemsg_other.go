//go:build !windows

package main

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// nativeDialogs are the programs tried in order to show a message outside the app's own window:
// osascript on macOS; zenity (GNOME, most desktops), kdialog (KDE), then xmessage (any X server;
// its core fonts have no CJK glyphs, so it gets latin, the English text only) elsewhere.
func nativeDialogs(goos, title, text, latin string) [][]string {
	if goos == "darwin" {
		q := func(s string) string { return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"` }
		return [][]string{{"osascript", "-e", "display alert " + q(title) + " message " + q(text) + " as critical"}}
	}
	return [][]string{
		{"zenity", "--error", "--no-markup", "--title", title, "--text", text, "--width", "560"},
		{"kdialog", "--title", title, "--error", text},
		{"xmessage", "-center", "-title", "SealDesk", latin},
	}
}

// showNativeMessage shows text (latin where only Latin script can be drawn) in the first dialog
// program found and waits until it is closed. When there is none the sentence on stderr (and in
// the log) is all there is.
func showNativeMessage(title, text, latin string) {
	for _, argv := range nativeDialogs(runtime.GOOS, title, text, latin) {
		if _, err := exec.LookPath(argv[0]); err != nil {
			continue
		}
		// GTK converts the arguments from the locale's charset: when the user's locale is not
		// installed it falls back to C (ASCII) and refuses the Chinese text (zenity exits 255),
		// so a failed attempt is repeated in C.UTF-8, which glibc always has.
		for _, env := range [][]string{nil, append(os.Environ(), "LC_ALL=C.UTF-8")} {
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Env = env
			// 0: closed with OK; 1: closed otherwise (Esc, the window's close button) — shown
			err := cmd.Run()
			var ee *exec.ExitError
			if err == nil || errors.As(err, &ee) && ee.ExitCode() == 1 {
				return
			}
		}
	}
}
