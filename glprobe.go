package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/go-gl/glfw/v3.3/glfw"

	"sealdesk/core/diag"
)

// The OpenGL check before Fyne starts.
//
// Fyne draws with OpenGL 2.1 through GLFW. When the PC cannot give it a 2.1 context (a remote
// desktop session, a VM without 3D acceleration, Windows' own GDI renderer which stops at 1.1, an
// X server without GLX), Fyne logs "window creation error" and quits, or the driver crashes the
// process: either way the user sees the program vanish. So before Fyne starts, the app runs
// itself once more as a probe (SEALDESK_GL_PROBE=1) that creates a hidden 2.1 window the way Fyne
// does and exits; a probe that fails or crashes tells the parent what is missing, and the parent
// shows a native message (Windows MessageBox, zenity/kdialog/xmessage on Linux, osascript on
// macOS) in Chinese and English, writes it to <data folder>/logs/sealdesk.log and exits 4. A
// child process, not a recover: a broken GL driver may kill the process that loads it.
//
// macOS is not probed: every Mac that runs a supported macOS has OpenGL 2.1 (deprecated, but
// present), and a probe would flash a second Dock icon at each start.

// glProbeEnv, set to 1, makes the program run the OpenGL probe instead of the app.
const glProbeEnv = "SEALDESK_GL_PROBE"

// glProbeTimeout: a probe that has not answered by then is given up on, and the app starts (a
// slow first start of a driver is no reason to refuse).
var glProbeTimeout = 30 * time.Second

// glProbeChild is the probe: a hidden window with an OpenGL 2.1 context, as Fyne's GLFW driver
// asks for it. Exit 0 when it works; otherwise the reason on stderr and exit 1.
func glProbeChild() (code int) {
	defer func() {
		if r := recover(); r != nil { // go-gl/glfw panics on platform errors
			fmt.Fprintln(os.Stderr, strings.TrimSpace(fmt.Sprint(r)))
			code = 1
		}
	}()
	runtime.LockOSThread()
	if err := glfw.Init(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer glfw.Terminate()
	glfw.WindowHint(glfw.Visible, glfw.False)
	glfw.WindowHint(glfw.ContextVersionMajor, 2)
	glfw.WindowHint(glfw.ContextVersionMinor, 1)
	w, err := glfw.CreateWindow(16, 16, "SealDesk OpenGL check", nil, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	w.MakeContextCurrent()
	w.Destroy()
	return 0
}

// glProblem runs the probe (this program with glProbeEnv=1 and the same arguments) and returns
// why OpenGL 2.1 is not available, or nil when it is, when the probe could not be run at all, or
// when it did not answer within glProbeTimeout.
func glProblem(goos string) error {
	if goos == "darwin" || os.Getenv("SEALDESK_NO_GL_PROBE") == "1" {
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), glProbeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), glProbeEnv+"=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	if ctx.Err() != nil {
		return nil
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return nil // started nothing (or exit 0)
	}
	reason := firstLines(out.String(), 3)
	if ee.ExitCode() < 0 || ee.ExitCode() > 1 { // killed by a signal, or a crash's status
		return fmt.Errorf("the OpenGL check crashed (%s)%s", ee.ProcessState, prefixed(": ", reason))
	}
	if reason == "" {
		reason = "unknown reason"
	}
	return errors.New(reason)
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}

// firstLines is the first n non-empty lines of s joined with "; " (a crash's stack is long; its
// first lines say what happened, GLFW's error is one line).
func firstLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "; ")
}

// noGLTitle is the message box's title.
const noGLTitle = "SealDesk：缺少 OpenGL 2.1 / OpenGL 2.1 is missing"

// noGLMessage says, in Chinese and then English, what is missing and what to do on goos, and
// where the log is; latin is the English part alone.
func noGLMessage(goos string, why error, logPath string) (text, latin string) {
	zhFix, enFix := "", ""
	switch goos {
	case "windows":
		zhFix = "请安装或更新显卡驱动；在虚拟机中请开启 3D 加速；远程桌面请改用本机登录或开启远程桌面的硬件图形。" +
			"也可以使用软件渲染：把 Mesa 的 opengl32.dll（64 位）放到 sealdesk.exe 所在的文件夹，再启动 SealDesk。"
		enFix = "Install or update the graphics driver; in a virtual machine, turn on 3D acceleration; on a remote " +
			"desktop, sign in locally or enable hardware graphics for remote sessions. Or use software rendering: " +
			"put Mesa's 64-bit opengl32.dll in the folder of sealdesk.exe and start SealDesk again."
	default:
		zhFix = "请安装 Mesa 图形驱动（Debian/Ubuntu：libgl1-mesa-dri）并确认 X 服务器支持 GLX；" +
			"也可以使用软件渲染：LIBGL_ALWAYS_SOFTWARE=1 sealdesk。"
		enFix = "Install the Mesa drivers (Debian/Ubuntu: libgl1-mesa-dri) and make sure the X server offers GLX; " +
			"or use software rendering: LIBGL_ALWAYS_SOFTWARE=1 sealdesk."
	}
	var zh, b strings.Builder
	zh.WriteString("SealDesk 无法打开窗口：这台电脑没有可用的 OpenGL 2.1 图形支持（远程桌面和虚拟机中常见）。\n")
	zh.WriteString(zhFix + "\n")
	if logPath != "" {
		zh.WriteString("详细信息已写入 " + logPath + "。\n")
	}
	b.WriteString("SealDesk cannot open its window: this computer offers no OpenGL 2.1 graphics (common on remote desktops and virtual machines).\n")
	b.WriteString(enFix + "\n")
	if logPath != "" {
		b.WriteString("Details: " + logPath + "\n")
	}
	b.WriteString("\n(" + why.Error() + ")")
	return zh.String() + "\n" + b.String(), b.String()
}

// reportNoGL writes the message to the desktop's log in the data folder (core/diag: the same
// rotating <data folder>/logs/sealdesk.log the running app writes) and to stderr, and shows it
// natively.
func reportNoGL(why error, dataDir string) {
	lg, err := diag.OpenLog(dataDir, nil)
	lp := ""
	if err == nil {
		lp = lg.Path()
	}
	msg, latin := noGLMessage(runtime.GOOS, why, lp)
	lg.Printf("ERROR no OpenGL 2.1: %v", why)
	lg.Printf("%s", strings.ReplaceAll(msg, "\n", "\n    "))
	lg.Close()
	fmt.Fprintln(os.Stderr, msg)
	showNativeMessage(noGLTitle, msg, latin)
}
