package server

import (
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"
	"time"

	"sealdesk/core/sync"
	"sealdesk/core/update"
)

// Desktop self-update: the server serves what IT put in Options.UpdatesDir, unchanged. It does
// not check the release signature (it does not know the release key); the desktop does. Both
// routes are public: a desktop checks for updates before anyone signs in.
func (s *Server) updateRoutes() []route {
	return []route{
		{"GET", "/api/v1/updates/manifest/{platform}", public, s.handleUpdateManifest},
		{"GET", "/api/v1/updates/files/{name}", public, s.handleUpdateFile},
	}
}

var errNoUpdates = sync.Refuse(http.StatusNotFound, "update_not_published", "服务器没有发布适用于此平台的更新")

// openUpdate opens name inside UpdatesDir without following it out of the folder.
func (s *Server) openUpdate(name string) (*os.File, fs.FileInfo, error) {
	if s.opts.UpdatesDir == "" {
		return nil, nil, errNoUpdates
	}
	f, err := os.OpenInRoot(s.opts.UpdatesDir, name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, errNoUpdates
		}
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = errNoUpdates
		}
		return nil, nil, err
	}
	return f, st, nil
}

func (s *Server) handleUpdateManifest(w http.ResponseWriter, r *http.Request, _ *call) error {
	platform := r.PathValue("platform")
	if !update.ValidPlatform(platform) {
		return sync.Refuse(http.StatusBadRequest, "bad_platform", "平台应写作 操作系统-架构，例如 windows-amd64")
	}
	f, st, err := s.openUpdate(platform + ".json")
	if err != nil {
		return err
	}
	defer f.Close()
	if st.Size() > update.MaxManifest {
		s.log.Error("update manifest too large", "platform", platform, "size", st.Size())
		return sync.Refuse(http.StatusInternalServerError, "bad_manifest", "服务器上的更新清单过大")
	}
	b, err := io.ReadAll(io.LimitReader(f, update.MaxManifest))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	return nil
}

func (s *Server) handleUpdateFile(w http.ResponseWriter, r *http.Request, _ *call) error {
	name := r.PathValue("name")
	if !update.ValidFile(name) {
		return sync.Refuse(http.StatusNotFound, "not_found", "文件不存在")
	}
	if !s.publishedFile(name) {
		return sync.Refuse(http.StatusNotFound, "not_found", "文件不存在")
	}
	f, st, err := s.openUpdate(name)
	if err != nil {
		// missing, not a regular file, or a link out of the folder: all the same to a caller
		return sync.Refuse(http.StatusNotFound, "not_found", "文件不存在")
	}
	defer f.Close()
	// an installer of tens of MB over an office line may take longer than the server's write
	// timeout for API answers
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(30 * time.Minute))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	http.ServeContent(w, r, name, st.ModTime(), f)
	return nil
}

// publishedFile reports whether a manifest in UpdatesDir names file: only those are served, so
// whatever else lies in the folder (a draft build, notes, a key left there by mistake) is not
// public (platform red team F2).
func (s *Server) publishedFile(file string) bool {
	if s.opts.UpdatesDir == "" {
		return false
	}
	entries, err := os.ReadDir(s.opts.UpdatesDir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		platform, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !update.ValidPlatform(platform) {
			continue
		}
		f, st, err := s.openUpdate(e.Name())
		if err != nil {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(f, update.MaxManifest+1))
		f.Close()
		if err != nil || st.Size() > update.MaxManifest {
			continue
		}
		var sm update.Signed
		var m update.Manifest
		if json.Unmarshal(b, &sm) != nil || json.Unmarshal(sm.Manifest, &m) != nil {
			continue
		}
		if m.File == file || path.Base(m.URL) == file {
			return true
		}
	}
	return false
}
