package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/theme"

	"sealdesk/assets"
	"sealdesk/core/diag"
	"sealdesk/core/pdf/render"
	"sealdesk/ui"
)

// version is shown in Settings › About; FyneApp.toml carries the same number for `fyne package`.
const version = "0.1.0"

type options struct {
	version     bool
	screenshot  string // hidden: capture the window after its first frame into this PNG and quit
	screenshots string // hidden: capture every screen into this folder and quit
	screen      string // hidden: the place to show first (a NavID slug)
	shotLangs   string // hidden, with --screenshots: zh,en (default both)
	shotThemes  string // hidden, with --screenshots: light, dark or both (default)
	shotSizes   string // hidden, with --screenshots: 1366x768,1024x640 (default)
	files       []string
}

const usage = `usage: sealdesk [FILE...]
       sealdesk --version | --help

SealDesk is the desktop program for electronic contracts: it opens the PDF files given (the
文件 screen) with its embedded backend on 127.0.0.1. It needs a graphical display; sealctl is
the command-line tool for scripts and servers (sealctl verify FILE).

Exit status: 0 closed normally; 2 unknown flag; 3 no graphical display (a sentence on stderr,
in Chinese when LANG starts with zh); 4 no OpenGL 2.1 (a message box in Chinese and English,
also written to the log in the data folder: logs/sealdesk.log).
`

// parseOptions reads the command line. It touches neither Fyne nor the display, so --help and
// --version work on a machine without one.
func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("sealdesk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	fs.StringVar(&o.screenshot, "screenshot", "", "capture the window to this PNG file after the first frame and quit")
	fs.StringVar(&o.screenshots, "screenshots", "", "capture every screen into this folder and quit")
	fs.StringVar(&o.screen, "screen", "", "the screen to show first (documents, settings, ...)")
	fs.StringVar(&o.shotLangs, "shot-langs", "", "with --screenshots: languages (zh,en)")
	fs.StringVar(&o.shotThemes, "shot-themes", "", "with --screenshots: light, dark or both")
	fs.StringVar(&o.shotSizes, "shot-sizes", "", "with --screenshots: window sizes (1366x768,1024x640)")
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.files = fs.Args()
	return o, nil
}

func run(start time.Time, args []string) int {
	if os.Getenv(glProbeEnv) == "1" {
		return glProbeChild()
	}
	opts, err := parseOptions(args, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitUsage
	}
	if opts.version {
		fmt.Printf("sealdesk %s (%s, %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return exitOK
	}
	lang := userLanguage(os.Getenv)
	if why := displayProblem(runtime.GOOS, os.Getenv); why != nil {
		fmt.Fprintln(os.Stderr, noDisplayMessage(lang, why))
		return exitNoDisplay
	}
	if why := glProblem(runtime.GOOS); why != nil {
		reportNoGL(why, defaultDataDir())
		return exitNoGL
	}
	defer func() {
		// GLFW may still fail after the display answered (no OpenGL, a refused connection): the
		// same sentence, not a stack trace. Any other panic is a bug and keeps its trace.
		if r := recover(); r != nil {
			msg, ok := glfwPanicMessage(r, lang)
			if !ok {
				panic(r)
			}
			fmt.Fprintln(os.Stderr, msg)
			os.Exit(exitNoDisplay)
		}
	}()
	return runWindow(start, opts)
}

// runWindow opens the window and runs until it is closed. Everything from here on may use Fyne.
func runWindow(start time.Time, opts options) int {
	// PDFium starts compiling (or loading from its cache) at once, beside the window
	renderer := render.New(nil)

	a := app.NewWithID("com.sealdesk.desktop")
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	a.Settings().SetTheme(ui.NewTheme())

	settings := ui.NewPrefsSettings(a.Preferences(), defaultDataDir())
	if err := ui.SetLanguage(settings.Language()); err != nil {
		fmt.Fprintln(os.Stderr, "sealdesk:", err)
	}

	// The log in the data folder (设置 › 关于 › 导出诊断信息 packs it): startup, errors, sync failures.
	logf, err := diag.OpenLog(settings.DataDir(), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sealdesk:", err)
	}
	logf.Printf("start: sealdesk %s (%s, %s/%s), language %s", version, runtime.Version(), runtime.GOOS, runtime.GOARCH, settings.Language())

	d, err := openDesk(settings.DataDir(), logf)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sealdesk:", err)
		logf.Printf("error: local store: %v", err)
	}
	var once sync.Once
	var exit atomic.Int32
	cleanup := func() {
		once.Do(func() {
			if err := d.Close(); err != nil {
				logf.Printf("error: closing the local store: %v", err)
			}
			renderer.Close()
			logf.Printf("exit")
			logf.Close()
		})
	}
	defer cleanup()
	// When the app stops, Fyne runs our OnStopped and then its own hook, which writes
	// preferences.json once more (every change was already written when it was made). That write
	// truncates the file first, and Fyne's watcher of the same folder, which after shutdown runs
	// its callback at once instead of on the UI goroutine, reads the half-written file:
	// "Preferences load error: EOF" at every exit, and a file that an exit at that moment left
	// empty loses the settings. So we end the process here, after the store is closed and after
	// Fyne's delayed save of a change made in the last 100 ms has had its time.
	var shell *ui.Shell
	a.Lifecycle().SetOnStopped(func() {
		if shell != nil {
			shell.StopWatching() // and the draft of 发起签署 that waits is written
		}
		time.Sleep(150 * time.Millisecond)
		cleanup()
		os.Exit(int(exit.Load()))
	})

	w := a.NewWindow("")
	svc := ui.Services{Settings: settings, Version: version, Local: d.Services(),
		Renderer: ui.PDFRenderer{Engine: renderer}}
	if s := d.Session(); s != nil {
		svc.Conn, svc.Session = s, s
	}
	svc.Updates = newUpdater(settings.DataDir(), d, logf)
	svc.Diagnostics = diagnostics{dataDir: settings.DataDir(), desk: d, settings: settings}
	shell = ui.NewShell(a, w, svc)
	w.SetOnDropped(shell.OnDropped)
	if opts.screenshots == "" {
		shell.OpenFiles(opts.files)
	}
	w.SetContent(shell.Content())
	w.Resize(fyne.NewSize(1100, 720))
	w.SetMaster()
	if opts.screen != "" {
		shell.ShowSlug(opts.screen)
	}

	if opts.screenshot == "" && opts.screenshots == "" {
		shell.CheckAtStart() // at most once a day, unless turned off in 设置 › 关于
	}
	if opts.screenshot != "" || opts.screenshots != "" {
		go func() {
			exit.Store(int32(captureAndQuit(a, w, shell, opts, start)))
		}()
	}
	w.ShowAndRun()
	return int(exit.Load())
}

// captureAndQuit serves `make screenshot` and `make screenshots`: it reports the time from start
// to the first drawn frame, writes the PNGs and quits the app.
func captureAndQuit(a fyne.App, w fyne.Window, shell *ui.Shell, opts options, start time.Time) int {
	defer fyne.Do(a.Quit)
	if len(opts.files) > 0 {
		// `sealdesk --screenshot out.png FILE`: also measures start → page 1 of FILE shown
		if waitForPage(shell, 30*time.Second) {
			fmt.Fprintf(os.Stderr, "sealdesk: page 1 of %s shown %d ms after start\n", opts.files[0], time.Since(start).Milliseconds())
			time.Sleep(500 * time.Millisecond) // let the frames with the new texture be drawn
		}
	}
	img, err := ui.CaptureWhenDrawn(w, 20*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sealdesk:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "sealdesk: drawn frame captured %d ms after start\n", time.Since(start).Milliseconds())
	if opts.screenshot != "" {
		if err := ui.WritePNG(opts.screenshot, img); err != nil {
			fmt.Fprintln(os.Stderr, "sealdesk:", err)
			return 1
		}
		fmt.Fprintln(os.Stderr, "sealdesk: wrote", opts.screenshot)
	}
	if opts.screenshots != "" {
		co := &ui.CaptureOptions{Langs: []string{ui.LangChinese, ui.LangEnglish},
			Themes: []fyne.ThemeVariant{theme.VariantLight, theme.VariantDark},
			Sizes:  []fyne.Size{fyne.NewSize(1366, 768), fyne.NewSize(1024, 640)}}
		for _, f := range opts.files {
			if ui.LooksSigned(f) {
				co.Signed = append(co.Signed, f)
			} else {
				co.Docs = append(co.Docs, f)
			}
		}
		if opts.shotLangs != "" {
			co.Langs = strings.Split(opts.shotLangs, ",")
		}
		if opts.shotThemes == "light" {
			co.Themes = co.Themes[:1]
		} else if opts.shotThemes == "dark" {
			co.Themes = co.Themes[1:]
		}
		if opts.shotSizes != "" {
			co.Sizes = nil
			for _, wh := range strings.Split(opts.shotSizes, ",") {
				var w, h float32
				if _, err := fmt.Sscanf(wh, "%fx%f", &w, &h); err == nil {
					co.Sizes = append(co.Sizes, fyne.NewSize(w, h))
				}
			}
		}
		files, err := ui.CaptureScreens(shell, opts.screenshots, co)
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

// waitForPage waits until the document view shows its first page's image.
func waitForPage(shell *ui.Shell, timeout time.Duration) bool {
	var docs *ui.DocumentsScreen
	fyne.DoAndWait(func() {
		if shell.Current() == ui.NavDocuments {
			docs, _ = shell.Screen(ui.NavDocuments).(*ui.DocumentsScreen)
		}
	})
	if docs == nil {
		return false
	}
	for t0 := time.Now(); time.Since(t0) < timeout; time.Sleep(10 * time.Millisecond) {
		var shown bool
		fyne.DoAndWait(func() {
			img, _ := docs.View.SlotImage(0)
			shown = img != nil
		})
		if shown {
			return true
		}
	}
	return false
}

// defaultDataDir is <user config dir>/SealDesk (e.g. ~/.config/SealDesk, %AppData%\SealDesk).
func defaultDataDir() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "SealDesk")
}
