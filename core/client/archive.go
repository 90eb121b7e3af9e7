package client

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"sealdesk/core/api"
)

// --- 档案柜 (issue 22) ------------------------------------------------------------------------------

func archivePath(eid string) string { return "/api/v1/enterprises/" + url.PathEscape(eid) + "/archive" }

// ArchiveFolders lists the folders the caller may see, with counts.
func (c *Client) ArchiveFolders(ctx context.Context, eid string) ([]api.ArchiveFolder, error) {
	var out []api.ArchiveFolder
	err := c.json(ctx, "GET", archivePath(eid)+"/folders", nil, &out)
	return out, err
}

// SaveArchiveFolder creates (f.ID empty) or changes a folder and its filing rule (archive.manage).
func (c *Client) SaveArchiveFolder(ctx context.Context, eid string, f api.ArchiveFolder) (api.ArchiveFolder, error) {
	var out api.ArchiveFolder
	var err error
	if f.ID == "" {
		err = c.json(ctx, "POST", archivePath(eid)+"/folders", f, &out)
	} else {
		err = c.json(ctx, "PUT", archivePath(eid)+"/folders/"+url.PathEscape(f.ID), f, &out)
	}
	return out, err
}

// DeleteArchiveFolder removes an empty folder (archive.manage).
func (c *Client) DeleteArchiveFolder(ctx context.Context, eid, fid string) error {
	return c.json(ctx, "DELETE", archivePath(eid)+"/folders/"+url.PathEscape(fid), nil, nil)
}

// SearchArchive searches the contracts filed in folders the caller may see.
func (c *Client) SearchArchive(ctx context.Context, eid string, q api.ArchiveQuery) (api.ArchiveResult, error) {
	v := url.Values{}
	for k, s := range map[string]string{"folder": q.Folder, "subject": q.Subject, "counterparty": q.Counterparty, "signer": q.Signer, "after": q.After} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if !q.From.IsZero() {
		v.Set("from", q.From.Format(time.RFC3339))
	}
	if !q.To.IsZero() {
		v.Set("to", q.To.Format(time.RFC3339))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	var out api.ArchiveResult
	err := c.json(ctx, "GET", archivePath(eid)+"/search?"+v.Encode(), nil, &out)
	return out, err
}

// MaxArchiveExport bounds a folder export the client accepts (1 GiB).
const MaxArchiveExport = 1 << 30

// ExportArchiveFolder downloads a folder as a ZIP to dest: into a temporary file beside it, checked
// to be a whole ZIP, then renamed over dest. On any failure dest is untouched and nothing is
// left behind.
func (c *Client) ExportArchiveFolder(ctx context.Context, eid, fid, dest string) (err error) {
	req, err := http.NewRequestWithContext(ctx, "GET", c.BaseURL+archivePath(eid)+"/folders/"+url.PathEscape(fid)+"/export", nil)
	if err != nil {
		return err
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("export archive folder: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		var eb api.ErrorBody
		if json.Unmarshal(b, &eb) == nil && eb.Error.Code != "" {
			return &Error{Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message}
		}
		return &Error{Status: resp.StatusCode, Code: "http_" + strconv.Itoa(resp.StatusCode), Message: strings.TrimSpace(string(b))}
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".*.part")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	n, err := io.Copy(tmp, io.LimitReader(resp.Body, MaxArchiveExport+1))
	if err != nil {
		return fmt.Errorf("export archive folder: %w", err)
	}
	if n > MaxArchiveExport {
		return fmt.Errorf("export archive folder: larger than %d bytes", MaxArchiveExport)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return fmt.Errorf("export archive folder: got %d of %d bytes", n, resp.ContentLength)
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	zr, err := zip.OpenReader(tmp.Name())
	if err != nil {
		return fmt.Errorf("export archive folder: not a whole zip: %w", err)
	}
	zr.Close()
	return os.Rename(tmp.Name(), dest)
}
