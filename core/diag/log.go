// Package diag is the desktop's diagnostics: a size-capped, rotating log file in the data folder
// (<data folder>/logs/sealdesk.log, then sealdesk.1.log … sealdesk.N.log) and the export of that
// log with the versions of the program into a zip for the user to send to support.
//
// # What it refuses to keep
//
// The log is for startup, errors and sync failures. Callers never write keys, PINs, passwords or
// document contents into it; as a second line of defence every line is filtered before it is
// written: mainland mobile numbers are masked (138****5678), 18-digit resident ID numbers keep
// their first 3 and last 4 characters, and a PEM block (a key or a certificate) is replaced by
// "[PEM removed]". Export copies only the log files and a versions text; it never opens the
// stores, keys or documents of the data folder (their sizes are listed, not their contents).
package diag

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Defaults of Options.
const (
	DefaultMaxSize = 1 << 20 // bytes per log file before it rotates
	DefaultFiles   = 5       // rotated files kept beside the current one
	// LogName is the current log file's name inside LogDir.
	LogName = "sealdesk.log"
)

// LogDir is the folder of the log inside a data folder.
func LogDir(dataDir string) string { return filepath.Join(dataDir, "logs") }

// Options tune OpenLog; nil means the defaults.
type Options struct {
	MaxSize int64            // rotate when the file would grow past this (DefaultMaxSize)
	Files   int              // rotated files kept: sealdesk.1.log … sealdesk.<Files>.log (DefaultFiles)
	Now     func() time.Time // the clock of the line stamps (time.Now)
}

// Log is the rotating log file. Its methods are safe for concurrent use; a nil *Log discards
// everything, so a desktop whose data folder is not writable still runs.
type Log struct {
	mu   sync.Mutex
	dir  string
	opts Options
	f    *os.File
	size int64
}

// OpenLog opens (creating it and its folder if needed) <dataDir>/logs/sealdesk.log for appending.
func OpenLog(dataDir string, opts *Options) (*Log, error) {
	l := &Log{dir: LogDir(dataDir)}
	if opts != nil {
		l.opts = *opts
	}
	if l.opts.MaxSize <= 0 {
		l.opts.MaxSize = DefaultMaxSize
	}
	if l.opts.Files <= 0 {
		l.opts.Files = DefaultFiles
	}
	if l.opts.Now == nil {
		l.opts.Now = time.Now
	}
	if err := os.MkdirAll(l.dir, 0o700); err != nil {
		return nil, fmt.Errorf("failed to create the log folder: %w", err)
	}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *Log) open() error {
	f, err := os.OpenFile(filepath.Join(l.dir, LogName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("failed to open the log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("failed to open the log: %w", err)
	}
	l.f, l.size = f, st.Size()
	return nil
}

// Path is the current log file.
func (l *Log) Path() string { return filepath.Join(l.dir, LogName) }

// Printf writes one line: an RFC 3339 UTC time stamp, then the formatted message, filtered by
// Redact. Errors writing the log are dropped (the log must never stop the program).
func (l *Log) Printf(format string, args ...any) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	msg := strings.TrimRight(Redact(fmt.Sprintf(format, args...)), "\n")
	line := l.opts.Now().UTC().Format("2006-01-02T15:04:05.000Z") + " " + msg + "\n"
	l.writeLocked([]byte(line))
}

// Write makes the log an io.Writer (for log.New or slog handlers): p is filtered by Redact and
// written as it is, without a stamp.
func (l *Log) Write(p []byte) (int, error) {
	if l == nil {
		return len(p), nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writeLocked([]byte(Redact(string(p))))
	return len(p), nil
}

func (l *Log) writeLocked(b []byte) {
	if l.f == nil {
		return
	}
	if l.size > 0 && l.size+int64(len(b)) > l.opts.MaxSize {
		l.rotateLocked()
		if l.f == nil {
			return
		}
	}
	if int64(len(b)) > l.opts.MaxSize { // one huge line: keep its start
		b = append(b[:l.opts.MaxSize-1:l.opts.MaxSize-1], '\n')
	}
	n, _ := l.f.Write(b)
	l.size += int64(n)
}

// rotateLocked shifts sealdesk.log → sealdesk.1.log → … and drops the oldest.
func (l *Log) rotateLocked() {
	l.f.Close()
	l.f = nil
	os.Remove(rotated(l.dir, l.opts.Files))
	for i := l.opts.Files - 1; i >= 1; i-- {
		os.Rename(rotated(l.dir, i), rotated(l.dir, i+1))
	}
	os.Rename(filepath.Join(l.dir, LogName), rotated(l.dir, 1))
	if err := l.open(); err != nil {
		l.f = nil
	}
}

func rotated(dir string, i int) string {
	return filepath.Join(dir, fmt.Sprintf("sealdesk.%d.log", i))
}

// Close closes the file; later writes are dropped.
func (l *Log) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

var (
	pemRE   = regexp.MustCompile(`(?s)-----BEGIN [A-Z0-9 ]+-----.*?(-----END [A-Z0-9 ]+-----|$)`)
	phoneRE = regexp.MustCompile(`(^|[^0-9])(1[3-9][0-9])([0-9]{4})([0-9]{4})($|[^0-9])`)
	idRE    = regexp.MustCompile(`(^|[^0-9])([1-9][0-9]{2})[0-9]{11}([0-9]{3}[0-9Xx])($|[^0-9])`)
)

// Redact masks what must not reach a log: mobile numbers (138****5678), resident ID numbers
// (110***********1234) and PEM blocks ([PEM removed]).
func Redact(s string) string {
	s = pemRE.ReplaceAllString(s, "[PEM removed]")
	s = idRE.ReplaceAllString(s, "${1}${2}***********${3}${4}")
	// twice: adjacent numbers share the separator the first pass consumed
	for range 2 {
		s = phoneRE.ReplaceAllString(s, "${1}${2}****${4}${5}")
	}
	return s
}
