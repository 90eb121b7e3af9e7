package main

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Exit statuses of the desktop app (README, `sealdesk --help`).
const (
	exitOK        = 0
	exitError     = 1 // a screenshot run (hidden flags) failed
	exitUsage     = 2 // unknown flag
	exitNoDisplay = 3 // no display to open the window on: a sentence, not a GLFW stack trace
	exitNoGL      = 4 // no OpenGL 2.1: a native message box, the sentence on stderr and in the log
)

// userLanguage is "zh" when the user's locale is Chinese (LC_ALL, LC_MESSAGES, LANG — the first
// one set, as gettext reads them), else "en". It picks the language of the messages printed before
// the window exists; the window itself follows the language chosen in Settings.
func userLanguage(getenv func(string) string) string {
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if l := getenv(v); l != "" {
			if strings.HasPrefix(strings.ToLower(l), "zh") {
				return "zh"
			}
			return "en"
		}
	}
	return "en"
}

// errNoDisplayVar: DISPLAY is not set.
var errNoDisplayVar = errors.New("DISPLAY is not set")

// displayProblem says why no window can be opened (errNoDisplayVar, or the failed connection to
// DISPLAY), or nil when an X display answers or the OS needs none (Windows and macOS always have
// their own). Fyne's GLFW driver opens X11 windows on Linux and the BSDs (Wayland sessions run
// XWayland, which sets DISPLAY); without a reachable X server GLFW panics with a stack trace.
func displayProblem(goos string, getenv func(string) string) error {
	if goos == "windows" || goos == "darwin" {
		return nil
	}
	d := getenv("DISPLAY")
	if d == "" {
		return errNoDisplayVar
	}
	if err := dialX(d, 2*time.Second); err != nil {
		return &displayError{display: d, err: err}
	}
	return nil
}

type displayError struct {
	display string
	err     error
}

func (e *displayError) Error() string {
	return "DISPLAY=" + e.display + " does not answer: " + e.err.Error()
}

// dialX connects to the X server named by display (":0", ":99.0", "host:1", "unix:0",
// "/tmp/launch-x/org.xquartz:0") the way Xlib does, and closes the connection at once.
func dialX(display string, timeout time.Duration) error {
	if strings.HasPrefix(display, "/") { // a socket path (XQuartz)
		if i := strings.LastIndex(display, ":"); i > 0 {
			display = display[:i]
		}
		return dialClose("unix", display, timeout)
	}
	i := strings.LastIndex(display, ":")
	if i < 0 {
		return fmt.Errorf("malformed display name")
	}
	host, num := display[:i], display[i+1:]
	if j := strings.Index(num, "."); j >= 0 {
		num = num[:j] // the screen number
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 {
		return fmt.Errorf("malformed display number %q", num)
	}
	if host == "" || host == "unix" {
		path := fmt.Sprintf("/tmp/.X11-unix/X%d", n)
		err := dialClose("unix", path, timeout)
		if err != nil && runtime.GOOS == "linux" {
			// the abstract socket Xorg and Xvfb also listen on
			if dialClose("unix", "@"+path, timeout) == nil {
				return nil
			}
		}
		return err
	}
	return dialClose("tcp", net.JoinHostPort(host, strconv.Itoa(6000+n)), timeout)
}

func dialClose(network, addr string, timeout time.Duration) error {
	c, err := net.DialTimeout(network, addr, timeout)
	if err != nil {
		return err
	}
	return c.Close()
}

// noDisplayMessage is the sentence printed instead of opening the window, in the user's language.
func noDisplayMessage(lang string, why error) string {
	var de *displayError
	if lang == "zh" {
		reason := "未设置环境变量 DISPLAY"
		if errors.As(why, &de) {
			reason = "无法连接 DISPLAY=" + de.display + "：" + de.err.Error()
		} else if why != errNoDisplayVar {
			reason = why.Error()
		}
		return "sealdesk：没有可用的图形显示（" + reason + "），无法打开窗口。SealDesk 是桌面程序，请在图形桌面中启动；" +
			"没有图形界面时请用命令行工具 sealctl（例如 sealctl verify 合同.pdf）。"
	}
	return "sealdesk: no graphical display is available (" + why.Error() + "), so the window cannot open. " +
		"SealDesk is a desktop program: start it from a desktop session; without one, use the " +
		"command-line tool sealctl (for example: sealctl verify contract.pdf)."
}

// glfwPanicMessage turns a panic from the window system (GLFW cannot reach the display or create
// an OpenGL context) into the no-display sentence; any other panic is a bug and is re-raised.
func glfwPanicMessage(r any, lang string) (string, bool) {
	s := fmt.Sprint(r)
	for _, k := range []string{"GLFW", "glfw", "X11", "PlatformError", "APIUnavailable", "VersionUnavailable", "OpenGL"} {
		if strings.Contains(s, k) {
			return noDisplayMessage(lang, errors.New(strings.TrimSpace(s))), true
		}
	}
	return "", false
}
