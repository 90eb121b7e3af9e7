package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"sealdesk/assets"
	"sealdesk/assets/iconpack"
	"sealdesk/core/server"
	"sealdesk/store/bolt"
)

// The Windows installer as `make windows` makes it (.ci/windows: sign.sh, build-msi.sh,
// sealdesk.wxs, sealdesk.rc), around two small stand-in executables instead of the real
// cross-built ones (that build takes minutes; `make windows` and `make wine-smoke` do it):
// the executables and the MSI are Authenticode-signed by a throwaway test root and timestamped by
// a real sealdesk-server's TSA on loopback; osslsigncode accepts them against that root only and
// refuses a tampered copy; msiinfo shows the tables IT relies on (per-machine install, the Start
// menu shortcut with the icon, the 用 SealDesk 验签 entry for .pdf, the major upgrade).
func TestWindowsInstaller(t *testing.T) {
	for _, tool := range [][2]string{{"wixl", "wixl"}, {"msiinfo", "msitools"}, {"osslsigncode", "osslsigncode"},
		{"openssl", "openssl"}, {"x86_64-w64-mingw32-windres", "binutils-mingw-w64-x86-64"}} {
		needTool(t, tool[0], tool[1])
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	os.MkdirAll(filepath.Join(dir, "standin"), 0o755)
	os.WriteFile(filepath.Join(dir, "standin", "go.mod"), []byte("module standin\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "standin", "main.go"), []byte("package main\n\nfunc main() { println(\"stand-in\") }\n"), 0o644)
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "sealdesk.exe"), ".")
	build.Dir = filepath.Join(dir, "standin")
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("stand-in exe: %v\n%s", err, out)
	}
	exe, _ := os.ReadFile(filepath.Join(bin, "sealdesk.exe"))
	os.WriteFile(filepath.Join(bin, "sealctl.exe"), exe, 0o755)
	os.WriteFile(filepath.Join(bin, "sealctl-render.exe"), exe, 0o755)
	img, err := png.Decode(bytes.NewReader(assets.Icon))
	if err != nil {
		t.Fatal(err)
	}
	ico, err := iconpack.ICO(img)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "sealdesk.ico"), ico, 0o644)

	// the TSA: a real sealdesk-server on loopback
	st, err := bolt.Open(filepath.Join(dir, "server.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	srv, err := server.Start(context.Background(), server.Options{Store: st, MasterKey: key}, server.ListenOptions{})
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	defer func() { srv.Shutdown(context.Background()); st.Close() }()
	resp, err := http.Get(srv.URL + "/ca/root.pem")
	if err != nil {
		t.Fatal(err)
	}
	tsaRoot, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	os.WriteFile(filepath.Join(dir, "tsa-root.pem"), tsaRoot, 0o644)

	pki := filepath.Join(dir, "pki")
	env := append(os.Environ(), "SEALDESK_TEST_PKI="+pki, "SEALDESK_SIGN_TSA="+srv.URL+"/tsa",
		"SEALDESK_SIGN_PFX=", "SEALDESK_SIGN_CERT=")
	script := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(filepath.Join(".ci", "windows", name), args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	msi := filepath.Join(dir, "out", "SealDesk-0.1.0-x64.msi")
	script("sign.sh", filepath.Join(bin, "sealdesk.exe"), filepath.Join(bin, "sealctl.exe"), filepath.Join(bin, "sealctl-render.exe"))
	script("build-msi.sh", "0.1.0", bin, filepath.Join(dir, "sealdesk.ico"), msi)
	script("sign.sh", msi)

	verify := func(f string, args ...string) (string, error) {
		out, err := exec.Command("osslsigncode", append(append([]string{"verify"}, args...), "-in", f)...).CombinedOutput()
		return string(out), err
	}
	for _, f := range []string{filepath.Join(bin, "sealdesk.exe"), filepath.Join(bin, "sealctl.exe"), filepath.Join(bin, "sealctl-render.exe"), msi} {
		out, err := verify(f, "-CAfile", filepath.Join(pki, "test-root.pem"), "-TSA-CAfile", filepath.Join(dir, "tsa-root.pem"))
		if err != nil || !strings.Contains(out, "Signature verification: ok") ||
			!strings.Contains(out, "Timestamp Server Signature verification: ok") || !strings.Contains(out, "SealDesk test code signing") {
			t.Errorf("%s: %v\n%s", filepath.Base(f), err, out)
		}
		if out, err := verify(f, "-CAfile", filepath.Join(dir, "tsa-root.pem"), "-TSA-CAfile", filepath.Join(dir, "tsa-root.pem")); err == nil {
			t.Errorf("%s verifies against another root:\n%s", filepath.Base(f), out)
		}
	}
	// one byte changed in the signed installer
	b, _ := os.ReadFile(msi)
	b[len(b)/2] ^= 0xff
	bad := filepath.Join(dir, "tampered.msi")
	os.WriteFile(bad, b, 0o644)
	if out, err := verify(bad, "-CAfile", filepath.Join(pki, "test-root.pem"), "-TSA-CAfile", filepath.Join(dir, "tsa-root.pem")); err == nil {
		t.Errorf("a tampered MSI verifies:\n%s", out)
	}

	// the tables
	tables, err := exec.Command("msiinfo", "tables", msi).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Shortcut", "Registry", "Upgrade", "Icon", "File", "Component", "InstallExecuteSequence"} {
		if !strings.Contains("\n"+string(tables), "\n"+name+"\n") {
			t.Errorf("no %s table in:\n%s", name, tables)
		}
	}
	rows := func(table string) [][]string {
		cmd := exec.Command("msiinfo", "export", msi, table)
		cmd.Dir = dir // binary columns (the Icon table) are written out as files here
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("msiinfo export %s: %v", table, err)
		}
		var rs [][]string
		for i, l := range strings.Split(strings.TrimRight(strings.ReplaceAll(string(out), "\r\n", "\n"), "\n"), "\n") {
			if i >= 3 { // names, types, key line
				rs = append(rs, strings.Split(l, "\t"))
			}
		}
		return rs
	}
	has := func(table string, want ...string) {
		t.Helper()
	next:
		for _, r := range rows(table) {
			for i, w := range want {
				if w != "*" && (i >= len(r) || r[i] != w) {
					continue next
				}
			}
			return
		}
		t.Errorf("%s has no row %q:\n%v", table, want, rows(table))
	}
	has("Property", "ALLUSERS", "1")
	has("Directory", "INSTALLDIR", "ProgramFiles64Folder", "SealDesk")
	has("File", "sealdesk.exe", "SealDeskExe", "sealdesk.exe")
	has("File", "sealctl.exe", "SealctlExe", "sealctl.exe")
	has("File", "sealctl_render.exe", "SealctlRenderExe", "sealctl-render.exe")
	has("Shortcut", "SealDeskShortcut", "ProgramMenuFolder", "SealDesk", "StartMenuShortcut", "[INSTALLDIR]sealdesk.exe", "", "SealDesk", "", "SealDesk.ico")
	has("Icon", "SealDesk.ico")
	const verb = `Software\Classes\SystemFileAssociations\.pdf\shell\SealDesk.Verify`
	has("Registry", "*", "2", verb, "MUIVerb", "@[INSTALLDIR]sealdesk.exe,-101", "SealDeskExe")
	has("Registry", "*", "2", verb+`\command`, "", `"[INSTALLDIR]sealdesk.exe" "%1"`, "SealDeskExe")
	has("Registry", "*", "2", `Software\Classes\.pdf\OpenWithProgids`, "SealDesk.PDF", "", "SealDeskExe")
	has("Registry", "*", "2", `Software\Classes\SealDesk.PDF\shell\open`, "MUIVerb", "@[INSTALLDIR]sealdesk.exe,-101", "SealDeskExe")
	has("Registry", "*", "2", `Software\Classes\SealDesk.PDF\shell\open\command`, "", `"[INSTALLDIR]sealdesk.exe" "%1"`, "SealDeskExe")
	has("Upgrade", "{398583DB-AA7B-4A6F-B59B-C9F6996FC8F3}", "", "0.1.0", "", "1", "", "WIX_UPGRADE_DETECTED")
	has("InstallExecuteSequence", "RemoveExistingProducts")
	// the verb's text: string 101 of sealdesk.exe's resources, from sealdesk.rc
	syso := filepath.Join(dir, "rsrc.syso")
	if out, err := exec.Command("x86_64-w64-mingw32-windres", "-I", dir, "-DVERSION_COMMA=0,1,0,0", `-DVERSION_STRING=\"0.1.0\"`,
		"-O", "coff", "-i", filepath.Join(".ci", "windows", "sealdesk.rc"), "-o", syso).CombinedOutput(); err != nil {
		t.Fatalf("windres: %v\n%s", err, out)
	}
	obj, _ := os.ReadFile(syso)
	for _, s := range []string{"用 SealDesk 验签", "SealDesk 电子合同"} {
		var u []byte
		for _, c := range utf16.Encode([]rune(s)) {
			u = append(u, byte(c), byte(c>>8))
		}
		if !bytes.Contains(obj, u) {
			t.Errorf("the resources lack %q in UTF-16", s)
		}
	}
	if !bytes.Contains(obj, ico[6+16*len(iconpack.ICOSizes):6+16*len(iconpack.ICOSizes)+64]) {
		t.Error("the resources lack the icon's images")
	}
}
