package diag

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Versions is what the export says about the program and the machine.
type Versions struct {
	App        string // the desktop's version
	Go         string // runtime.Version()
	OS         string // GOOS/GOARCH, and the OS release when known
	GLRenderer string // the OpenGL renderer when known ("" : unknown)
	Language   string // the interface language
	Server     string // 本机 or the remote server's address
	Extra      []string
}

// MaxExportLog bounds how much of each log file goes into the zip (bytes, the newest part).
const MaxExportLog = 4 << 20

// Export writes the diagnostics zip to dst: versions.txt (the versions, the time and the sizes of
// the files in the data folder — names and sizes only) and the log files, filtered by Redact once
// more. It writes a temporary file beside dst and renames it, so dst is either the old file or the
// whole new zip. It never reads anything in dataDir but the log folder.
func Export(dst, dataDir string, v Versions, now time.Time) error {
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".sealdesk-diagnostics-*.zip")
	if err != nil {
		return fmt.Errorf("failed to create the diagnostics file: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	zw := zip.NewWriter(tmp)
	if err := writeEntry(zw, "versions.txt", now, []byte(versionsText(dataDir, v, now))); err != nil {
		return err
	}
	logs, _ := filepath.Glob(filepath.Join(LogDir(dataDir), "sealdesk*.log"))
	sort.Strings(logs)
	for _, p := range logs {
		b, err := readTail(p, MaxExportLog)
		if err != nil {
			continue // a log rotated away meanwhile
		}
		if err := writeEntry(zw, "logs/"+filepath.Base(p), now, []byte(Redact(string(b)))); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("failed to write the diagnostics file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("failed to write the diagnostics file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("failed to write the diagnostics file: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("failed to write the diagnostics file: %w", err)
	}
	ok = true
	return nil
}

func writeEntry(zw *zip.Writer, name string, now time.Time, b []byte) error {
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: now})
	if err != nil {
		return fmt.Errorf("failed to write the diagnostics file: %w", err)
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("failed to write the diagnostics file: %w", err)
	}
	return nil
}

// readTail reads at most max bytes from the end of the file.
func readTail(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > max {
		if _, err := f.Seek(st.Size()-max, io.SeekStart); err != nil {
			return nil, err
		}
	}
	return io.ReadAll(io.LimitReader(f, max))
}

func versionsText(dataDir string, v Versions, now time.Time) string {
	var b strings.Builder
	line := func(k, val string) {
		if val == "" {
			val = "unknown"
		}
		fmt.Fprintf(&b, "%-12s %s\n", k+":", val)
	}
	line("SealDesk", v.App)
	line("Go", v.Go)
	line("OS", v.OS)
	line("GL renderer", v.GLRenderer)
	line("Language", v.Language)
	line("Server", v.Server)
	line("Exported", now.UTC().Format(time.RFC3339))
	for _, e := range v.Extra {
		b.WriteString(Redact(e) + "\n")
	}
	b.WriteString("\nData folder (names and sizes only):\n")
	entries, err := os.ReadDir(dataDir)
	if err != nil {
		fmt.Fprintf(&b, "  unreadable: %v\n", err)
	}
	for _, e := range entries {
		if e.IsDir() {
			fmt.Fprintf(&b, "  %s/\n", e.Name())
			continue
		}
		if info, err := e.Info(); err == nil {
			fmt.Fprintf(&b, "  %-24s %12d bytes\n", e.Name(), info.Size())
		}
	}
	return b.String()
}
