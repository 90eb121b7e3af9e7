package main

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// plistDict reads the top-level <dict> of an XML property list into key → value (strings, and
// "true"/"false"; arrays as their strings joined by commas).
func plistDict(t *testing.T, data []byte) map[string]string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	m := map[string]string{}
	var key, text string
	var arr []string
	depth, inArray := 0, false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Info.plist is not well-formed XML: %v", err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			depth++
			text = ""
			switch tk.Name.Local {
			case "array":
				inArray, arr = true, nil
			case "true", "false":
				m[key] = tk.Name.Local
			}
		case xml.CharData:
			text += string(tk)
		case xml.EndElement:
			depth--
			switch tk.Name.Local {
			case "key":
				key = text
			case "string":
				if inArray {
					arr = append(arr, text)
				} else {
					m[key] = text
				}
			case "array":
				inArray = false
				m[key] = strings.Join(arr, ",")
			}
		}
	}
	return m
}

// The macOS bundle `make macos` makes on a Mac, made here around a stand-in executable: the
// Info.plist carries FyneApp.toml's values and is a well-formed property list, the icon is a
// valid .icns generated from FyneApp.toml's icon (the same bytes every time), and the executable
// is where CFBundleExecutable says.
func TestMacBundle(t *testing.T) {
	toml, err := os.ReadFile("FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	val := func(key string) string {
		m := regexp.MustCompile(`(?m)^\s*` + key + `\s*=\s*"?([^"\n]*)"?\s*$`).FindSubmatch(toml)
		if m == nil {
			t.Fatalf("FyneApp.toml has no %s", key)
		}
		return string(m[1])
	}
	dir := t.TempDir()
	exe := filepath.Join(dir, "sealdesk")
	os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755)
	app := filepath.Join(dir, "SealDesk.app")
	for i := 0; i < 2; i++ {
		if out, err := exec.Command(filepath.Join(".ci", "macos", "bundle.sh"), exe, app).CombinedOutput(); err != nil {
			t.Fatalf("bundle.sh: %v\n%s", err, out)
		}
		if i == 0 {
			os.Rename(filepath.Join(app, "Contents", "Resources", "icon.icns"), filepath.Join(dir, "first.icns"))
		}
	}
	plist, err := os.ReadFile(filepath.Join(app, "Contents", "Info.plist"))
	if err != nil {
		t.Fatal(err)
	}
	m := plistDict(t, plist)
	for k, want := range map[string]string{
		"CFBundleName": val("Name"), "CFBundleIdentifier": val("ID"), "CFBundleShortVersionString": val("Version"),
		"CFBundleVersion": val("Build"), "CFBundleExecutable": "sealdesk", "CFBundleIconFile": "icon.icns",
		"CFBundlePackageType": "APPL", "CFBundleLocalizations": "zh-Hans,en", "CFBundleDevelopmentRegion": "zh-Hans",
		"LSMinimumSystemVersion": val("MacMinimumSystemVersion"), "LSApplicationCategoryType": val("MacCategory"),
		"NSHighResolutionCapable": "true",
	} {
		if m[k] != want {
			t.Errorf("Info.plist %s = %q, want %q", k, m[k], want)
		}
	}
	if val("Version") != version {
		t.Errorf("FyneApp.toml Version %s, the app says %s", val("Version"), version)
	}
	if st, err := os.Stat(filepath.Join(app, "Contents", "MacOS", m["CFBundleExecutable"])); err != nil || st.Mode()&0o111 == 0 {
		t.Errorf("executable: %v", err)
	}
	icns, _ := os.ReadFile(filepath.Join(app, "Contents", "Resources", "icon.icns"))
	if len(icns) < 8 || string(icns[:4]) != "icns" || int(binary.BigEndian.Uint32(icns[4:])) != len(icns) {
		t.Errorf("icon.icns is not an icon family (%d bytes)", len(icns))
	}
	first, _ := os.ReadFile(filepath.Join(dir, "first.icns"))
	if !bytes.Equal(first, icns) {
		t.Error("two bundles got different icon bytes")
	}
}
