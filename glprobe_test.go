package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// needTool finds a program, or skips saying which one is missing (a failure under SEALDESK_CI).
func needTool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatalf("%s is not installed (Debian package %s; required under SEALDESK_CI)", name, pkg)
		}
		t.Skipf("%s is not installed (Debian package %s): skipped", name, pkg)
	}
	return p
}

// startXvfb runs an Xvfb server with the extra arguments until the test ends and returns its
// DISPLAY.
func startXvfb(t *testing.T, args ...string) string {
	t.Helper()
	xvfb := needTool(t, "Xvfb", "xvfb")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(xvfb, append([]string{"-displayfd", "3", "-screen", "0", "1024x768x24", "-nolisten", "tcp"}, args...)...)
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case n := <-line:
		if n == "" {
			t.Fatal("Xvfb did not start")
		}
		return ":" + n
	case <-time.After(20 * time.Second):
		t.Fatal("Xvfb did not say its display within 20 s")
	}
	return ""
}

// runAsApp runs this test binary as the app (SEALDESK_AS_APP, see TestStartWithoutDisplay) in
// test with env added, returning its exit status and output.
func runAsApp(t *testing.T, test string, env ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append([]string{"SEALDESK_AS_APP=sealdesk"}, env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// Without GLX (an X server that cannot give any OpenGL context, as a remote desktop without 3D
// acceleration), the app does not vanish: it exits 4 after showing the message in Chinese and
// English — here to a zenity stand-in that records what it was asked to show — and writes it to
// the log in the data folder. With SEALDESK_SHOTS=DIR the real zenity's box is captured into
// DIR/nogl-linux.png.
func TestNoOpenGL(t *testing.T) {
	if os.Getenv("SEALDESK_AS_APP") != "" {
		os.Exit(run(time.Now(), nil))
	}
	display := startXvfb(t, "-extension", "GLX")
	home := t.TempDir()
	bin := t.TempDir()
	record := filepath.Join(home, "zenity-args.txt")
	os.WriteFile(filepath.Join(bin, "zenity"), []byte("#!/bin/sh\nprintf '%s\\n' \"$@\" > '"+record+"'\n"), 0o755)
	env := []string{"DISPLAY=" + display, "HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"XDG_CACHE_HOME=" + filepath.Join(home, "cache"), "LANG=zh_CN.UTF-8"}
	code, out := runAsApp(t, "TestNoOpenGL", append(env, "PATH="+bin+":"+os.Getenv("PATH"))...)
	if code != exitNoGL {
		t.Fatalf("exit %d, want %d:\n%s", code, exitNoGL, out)
	}
	for _, want := range []string{"没有可用的 OpenGL 2.1", "no OpenGL 2.1 graphics", "GLX", "LIBGL_ALWAYS_SOFTWARE=1"} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "goroutine ") {
		t.Errorf("a stack trace reached the user:\n%s", out)
	}
	logFile := filepath.Join(home, "config", "SealDesk", "logs", "sealdesk.log")
	log, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatalf("no log in the data folder: %v", err)
	}
	for _, want := range []string{"ERROR no OpenGL 2.1: APIUnavailable", "无法打开窗口", "cannot open its window"} {
		if !strings.Contains(string(log), want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	args, err := os.ReadFile(record)
	if err != nil {
		t.Fatalf("no dialog was shown: %v", err)
	}
	for _, want := range []string{"--error", noGLTitle, "请安装 Mesa 图形驱动", "Install the Mesa drivers", logFile} {
		if !strings.Contains(string(args), want) {
			t.Errorf("dialog lacks %q:\n%s", want, args)
		}
	}

	if dir := os.Getenv("SEALDESK_SHOTS"); dir != "" {
		needTool(t, "zenity", "zenity")
		imp := needTool(t, "import", "imagemagick")
		cmd := exec.Command(os.Args[0], "-test.run=^TestNoOpenGL$")
		cmd.Env = append(append([]string{"SEALDESK_AS_APP=sealdesk"}, env...), "PATH="+os.Getenv("PATH"))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cmd.Process.Kill(); cmd.Wait() }()
		xwininfo := needTool(t, "xwininfo", "x11-utils")
		shown := false
		for t0 := time.Now(); time.Since(t0) < 60*time.Second && !shown; time.Sleep(500 * time.Millisecond) {
			out, _ := exec.Command(xwininfo, "-display", display, "-root", "-tree").Output()
			shown = strings.Contains(string(out), "OpenGL 2.1")
		}
		if !shown {
			t.Fatal("the message box did not appear within 60 s")
		}
		time.Sleep(2 * time.Second) // drawn
		shot := filepath.Join(dir, "nogl-linux.png")
		os.MkdirAll(dir, 0o755)
		if out, err := exec.Command(imp, "-display", display, "-window", "root", shot).CombinedOutput(); err != nil {
			t.Fatalf("import: %v\n%s", err, out)
		}
		t.Logf("wrote %s", shot)
	}
}

// With GLX (Mesa's software renderer under Xvfb) the probe succeeds, so the app goes on to
// open its window; without it the probe names GLX.
func TestGLProbe(t *testing.T) {
	if os.Getenv("SEALDESK_AS_APP") != "" {
		os.Exit(run(time.Now(), nil))
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{{nil, 0, ""}, {[]string{"-extension", "GLX"}, 1, "GLX"}} {
		display := startXvfb(t, c.args...)
		code, out := runAsApp(t, "TestGLProbe", "DISPLAY="+display, "GALLIUM_DRIVER=softpipe", glProbeEnv+"=1",
			"HOME="+t.TempDir(), "PATH="+os.Getenv("PATH"))
		if code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("Xvfb %v: probe exit %d, want %d with %q:\n%s", c.args, code, c.code, c.want, out)
		}
	}
}

func TestNoGLMessage(t *testing.T) {
	why := errors.New("VersionUnavailable: WGL: OpenGL version 2.1 is not supported")
	text, latin := noGLMessage("windows", why, `C:\Users\a\AppData\Roaming\SealDesk\logs\sealdesk.log`)
	for _, want := range []string{"opengl32.dll", "3D 加速", "3D acceleration", "VersionUnavailable", `Roaming\SealDesk\logs`} {
		if !strings.Contains(text, want) {
			t.Errorf("windows message lacks %q:\n%s", want, text)
		}
	}
	if strings.ContainsFunc(latin, func(r rune) bool { return r > 0x7f }) {
		t.Errorf("the latin text has other scripts: %s", latin)
	}
	text, _ = noGLMessage("linux", why, "")
	if !strings.Contains(text, "LIBGL_ALWAYS_SOFTWARE=1") || strings.Contains(text, "详细信息") {
		t.Errorf("linux message without a log:\n%s", text)
	}
	if got := firstLines("\n a \n\n b\r\n c\n d\n", 3); got != "a; b; c" {
		t.Errorf("firstLines: %q", got)
	}
}
