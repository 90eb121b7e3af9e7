package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"sealdesk/assets"
	"sealdesk/ui"
)

// version is shown in Settings › About; FyneApp.toml carries the same number for `fyne package`.
const version = "0.1.0"

type options struct {
	screenshot  string // hidden: capture the window after its first frame into this PNG and quit
	screenshots string // hidden: capture every screen into this folder and quit
	screen      string // hidden: the place to show first (a NavID slug)
	files       []string
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("sealdesk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.screenshot, "screenshot", "", "capture the window to this PNG file after the first frame and quit")
	fs.StringVar(&o.screenshots, "screenshots", "", "capture every screen into this folder and quit")
	fs.StringVar(&o.screen, "screen", "", "the screen to show first (documents, settings, ...)")
	fs.Usage = func() { fmt.Fprintln(stderr, "usage: sealdesk [FILE...]") }
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.files = fs.Args()
	return o, nil
}

func run(start time.Time, args []string) int {
	opts, err := parseOptions(args, os.Stderr)
	if err != nil {
		return 2
	}

	a := app.NewWithID("com.sealdesk.desktop")
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	a.Settings().SetTheme(ui.NewTheme())

	settings := ui.NewPrefsSettings(a.Preferences(), defaultDataDir())
	if err := ui.SetLanguage(settings.Language()); err != nil {
		fmt.Fprintln(os.Stderr, "sealdesk:", err)
	}

	d, err := openDesk(settings.DataDir())
	if err != nil {
		fmt.Fprintln(os.Stderr, "sealdesk:", err)
	}
	defer d.Close()
	w := a.NewWindow("")
	shell := ui.NewShell(a, w, ui.Services{Settings: settings, Version: version, Local: d.Services()})
	w.SetOnDropped(shell.OnDropped)
	shell.OpenFiles(opts.files)
	w.SetContent(shell.Content())
	w.Resize(fyne.NewSize(1100, 720))
	w.SetMaster()
	if opts.screen != "" {
		shell.ShowSlug(opts.screen)
	}

	code := 0
	if opts.screenshot != "" || opts.screenshots != "" {
		go func() {
			code = captureAndQuit(a, w, shell, opts, start)
		}()
	}
	w.ShowAndRun()
	return code
}

// captureAndQuit serves `make screenshot` and `make screenshots`: it reports the time from start
// to the first drawn frame, writes the PNGs and quits the app.
func captureAndQuit(a fyne.App, w fyne.Window, shell *ui.Shell, opts options, start time.Time) int {
	defer fyne.Do(a.Quit)
	img, err := ui.CaptureWhenDrawn(w, 20*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sealdesk:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "sealdesk: first frame %d ms after start\n", time.Since(start).Milliseconds())
	if opts.screenshot != "" {
		if err := ui.WritePNG(opts.screenshot, img); err != nil {
			fmt.Fprintln(os.Stderr, "sealdesk:", err)
			return 1
		}
		fmt.Fprintln(os.Stderr, "sealdesk: wrote", opts.screenshot)
	}
	if opts.screenshots != "" {
		files, err := ui.CaptureScreens(shell, opts.screenshots)
		for _, f := range files {
			fmt.Fprintln(os.Stderr, "sealdesk: wrote", f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "sealdesk:", err)
			return 1
		}
	}
	return 0
}

// defaultDataDir is <user config dir>/SealDesk (e.g. ~/.config/SealDesk, %AppData%\SealDesk).
func defaultDataDir() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "SealDesk")
}
