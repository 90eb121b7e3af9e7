package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestUserLanguage(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "en"},
		{map[string]string{"LANG": "zh_CN.UTF-8"}, "zh"},
		{map[string]string{"LANG": "zh_TW.UTF-8"}, "zh"},
		{map[string]string{"LANG": "C.UTF-8"}, "en"},
		{map[string]string{"LANG": "zh_CN.UTF-8", "LC_ALL": "en_US.UTF-8"}, "en"},
		{map[string]string{"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, "zh"},
	}
	for _, c := range cases {
		if got := userLanguage(env(c.env)); got != c.want {
			t.Errorf("%v: %q, want %q", c.env, got, c.want)
		}
	}
}

// A display answers when something listens on its socket, and not otherwise; Windows and macOS
// need no DISPLAY.
func TestDisplayProblem(t *testing.T) {
	if err := displayProblem("windows", env(nil)); err != nil {
		t.Errorf("windows: %v", err)
	}
	if err := displayProblem("linux", env(nil)); !errors.Is(err, errNoDisplayVar) {
		t.Errorf("no DISPLAY: %v", err)
	}
	// a TCP display on 127.0.0.1: host:N is port 6000+N; find a free N
	for n := 90; n < 140; n++ {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", 6000+n))
		if err != nil {
			continue
		}
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		if err := displayProblem("linux", env(map[string]string{"DISPLAY": fmt.Sprintf("127.0.0.1:%d.0", n)})); err != nil {
			t.Errorf("listening display: %v", err)
		}
		l.Close()
		err = displayProblem("linux", env(map[string]string{"DISPLAY": fmt.Sprintf("127.0.0.1:%d", n)}))
		var de *displayError
		if !errors.As(err, &de) {
			t.Errorf("closed display: %v", err)
		}
		break
	}
	// a socket path (the XQuartz form)
	sock := filepath.Join(t.TempDir(), "x.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err == nil {
			c.Close()
		}
	}()
	if err := dialX(sock+":0", time.Second); err != nil {
		t.Errorf("unix socket display: %v", err)
	}
	for _, bad := range []string{"nocolon", ":x", "host:-1"} {
		if dialX(bad, time.Second) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestNoDisplayMessage(t *testing.T) {
	zh := noDisplayMessage("zh", errNoDisplayVar)
	if !strings.Contains(zh, "未设置环境变量 DISPLAY") || !strings.Contains(zh, "sealctl") || strings.Contains(zh, "is not set") {
		t.Errorf("zh: %s", zh)
	}
	zh = noDisplayMessage("zh", &displayError{":9", errors.New("connection refused")})
	if !strings.Contains(zh, "无法连接 DISPLAY=:9") {
		t.Errorf("zh: %s", zh)
	}
	if en := noDisplayMessage("en", errNoDisplayVar); !strings.Contains(en, "no graphical display") || !strings.Contains(en, "DISPLAY is not set") {
		t.Errorf("en: %s", en)
	}
	if _, ok := glfwPanicMessage("PlatformError: X11: The DISPLAY environment variable is missing", "en"); !ok {
		t.Error("GLFW panic not recognised")
	}
	if _, ok := glfwPanicMessage("index out of range [3] with length 2", "en"); ok {
		t.Error("a bug's panic taken for a display problem")
	}
}

func TestParseOptions(t *testing.T) {
	var b bytes.Buffer
	if _, err := parseOptions([]string{"--help"}, &b); !errors.Is(err, flag.ErrHelp) || !strings.Contains(b.String(), "Exit status") {
		t.Errorf("--help: %v %q", err, b.String())
	}
	o, err := parseOptions([]string{"--version"}, &b)
	if err != nil || !o.version {
		t.Errorf("--version: %+v %v", o, err)
	}
	o, err = parseOptions([]string{"a.pdf", "b.pdf"}, &b)
	if err != nil || len(o.files) != 2 {
		t.Errorf("files: %+v %v", o, err)
	}
}

// The built program: --version and --help work without a display, and without one it prints the
// sentence in the user's language and exits 3, with no stack trace. (The child is this test
// binary, re-run with SEALDESK_AS_APP set, which makes it call run() with those arguments.)
func TestStartWithoutDisplay(t *testing.T) {
	if os.Getenv("SEALDESK_AS_APP") != "" {
		os.Exit(run(time.Now(), strings.Fields(os.Getenv("SEALDESK_AS_APP"))[1:]))
	}
	cases := []struct {
		args, lang string
		code       int
		want       string
	}{
		{"--version", "C.UTF-8", 0, "sealdesk " + version},
		{"--help", "C.UTF-8", 0, "Exit status"},
		{"contract.pdf", "en_US.UTF-8", exitNoDisplay, "no graphical display"},
		{"", "zh_CN.UTF-8", exitNoDisplay, "没有可用的图形显示"},
		{"--nope", "C.UTF-8", exitUsage, "flag provided but not defined"},
	}
	for _, c := range cases {
		cmd := exec.Command(os.Args[0], "-test.run=^TestStartWithoutDisplay$")
		cmd.Env = []string{"SEALDESK_AS_APP=sealdesk " + c.args, "LANG=" + c.lang, "HOME=" + t.TempDir(),
			"XDG_CONFIG_HOME=" + t.TempDir(), "XDG_CACHE_HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
		out, err := cmd.CombinedOutput()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != c.code || !strings.Contains(string(out), c.want) || strings.Contains(string(out), "goroutine ") {
			t.Errorf("sealdesk %s (LANG=%s): exit %d, want %d with %q:\n%s", c.args, c.lang, code, c.code, c.want, out)
		}
	}
}
