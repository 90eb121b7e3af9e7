package client

import (
	"encoding/json"
	"strconv"

	"context"
	"fmt"
	"io"
	"net/http"
	"sealdesk/core/api"
	"strings"

	"sealdesk/core/update"
)

// Updates is the server as the desktop's self-update reads it (update.Source): the signed
// manifest of a platform and the files it names. Neither needs a session.
type Updates struct{ C *Client }

var _ update.Source = Updates{}

// Manifest implements update.Source.
func (u Updates) Manifest(ctx context.Context, platform string) ([]byte, error) {
	if !update.ValidPlatform(platform) {
		return nil, fmt.Errorf("bad platform %q", platform)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.C.BaseURL+update.ManifestPath(platform), nil)
	if err != nil {
		return nil, err
	}
	resp, err := u.C.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, update.MaxManifest+1))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusNotFound {
		return nil, fmt.Errorf("%w for %s: %w", update.ErrNotPublished, platform, apiError(resp.StatusCode, b))
	}
	if resp.StatusCode != http.StatusOK {
		return nil, apiError(resp.StatusCode, b)
	}
	return b, nil
}

// Download implements update.Source. path must be a path on this server; the body is not
// limited here (update.Checker counts the bytes against the manifest's size).
func (u Updates) Download(ctx context.Context, path string) (io.ReadCloser, error) {
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") {
		return nil, &update.Error{Reason: update.ReasonBadURL, Have: path}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.C.BaseURL+path, nil)
	if err != nil {
		return nil, err
	}
	// the client's own timeout bounds whole requests (90 s); a large file may take longer, so
	// the download runs on the same transport with only the caller's context as its limit
	hc := &http.Client{Transport: u.C.HTTP.Transport}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		return nil, apiError(resp.StatusCode, b)
	}
	return resp.Body, nil
}

// apiError reads an error answer of the API.
func apiError(status int, b []byte) error {
	var eb api.ErrorBody
	if json.Unmarshal(b, &eb) == nil && eb.Error.Code != "" {
		return &Error{Status: status, Code: eb.Error.Code, Message: eb.Error.Message}
	}
	return &Error{Status: status, Code: "http_" + strconv.Itoa(status), Message: strings.TrimSpace(string(b))}
}
