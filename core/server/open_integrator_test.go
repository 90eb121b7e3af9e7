package server_test

// This file is a business system's client of the open API written as an integrator would write
// it: the Go standard library only, its own HMAC code from the documentation (core/apikey's
// package doc and the OpenAPI document), nothing of SealDesk imported.

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"time"
)

// integrator signs and sends requests with one API key.
type integrator struct {
	base          string
	keyID, secret string
	http          *http.Client
	// now and nonce may be replaced (tests of refusals); nil: the clock and a fresh nonce.
	now   func() time.Time
	nonce func() string
}

func newIntegrator(base string, rootPEM []byte, keyID, secret string) *integrator {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(rootPEM)
	return &integrator{base: base, keyID: keyID, secret: secret,
		http: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, MaxIdleConnsPerHost: 64}}}
}

// signedRequest is a request ready to send (and to send again, for the replay test).
type signedRequest struct {
	method, uri string
	header      http.Header
	body        []byte
}

func (in *integrator) sign(method, uri, contentType, idemKey string, body []byte) signedRequest {
	now := time.Now
	if in.now != nil {
		now = in.now
	}
	nonce := ""
	if in.nonce != nil {
		nonce = in.nonce()
	} else {
		b := make([]byte, 16)
		rand.Read(b)
		nonce = hex.EncodeToString(b)
	}
	ts := strconv.FormatInt(now().Unix(), 10)
	sum := sha256.Sum256(body)
	canonical := method + "\n" + uri + "\n" + ts + "\n" + nonce + "\n" + hex.EncodeToString(sum[:])
	mac := hmac.New(sha256.New, []byte(in.secret))
	mac.Write([]byte(canonical))
	h := http.Header{}
	h.Set("X-SealDesk-Key", in.keyID)
	h.Set("X-SealDesk-Timestamp", ts)
	h.Set("X-SealDesk-Nonce", nonce)
	h.Set("X-SealDesk-Signature", hex.EncodeToString(mac.Sum(nil)))
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	if idemKey != "" {
		h.Set("Idempotency-Key", idemKey)
	}
	return signedRequest{method: method, uri: uri, header: h, body: body}
}

// apiError is the server's error body.
type apiError struct {
	Status  int
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// send sends a signed request; an answer other than 2xx is an *apiError.
func (in *integrator) send(sr signedRequest) ([]byte, http.Header, error) {
	req, err := http.NewRequest(sr.method, in.base+sr.uri, bytes.NewReader(sr.body))
	if err != nil {
		return nil, nil, err
	}
	req.Header = sr.header.Clone()
	resp, err := in.http.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode/100 != 2 {
		var eb struct {
			Error apiError `json:"error"`
		}
		json.Unmarshal(b, &eb)
		eb.Error.Status = resp.StatusCode
		return nil, resp.Header, &eb.Error
	}
	return b, resp.Header, nil
}

// call signs and sends a JSON request and decodes the JSON answer into out (nil: ignore it).
func (in *integrator) call(method, uri, idemKey string, body, out any) error {
	var raw []byte
	ct := ""
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return err
		}
		ct = "application/json"
	}
	b, _, err := in.send(in.sign(method, uri, ct, idemKey, raw))
	if err != nil || out == nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// download signs a GET and returns the bytes.
func (in *integrator) download(uri string) ([]byte, error) {
	b, _, err := in.send(in.sign("GET", uri, "", "", nil))
	return b, err
}

// multipartCreate builds a multipart create request: the JSON in "request", files in "file".
func multipartCreate(request any, names []string, files [][]byte) (string, []byte, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	js, err := json.Marshal(request)
	if err != nil {
		return "", nil, err
	}
	if err := w.WriteField("request", string(js)); err != nil {
		return "", nil, err
	}
	for i, f := range files {
		p, err := w.CreateFormFile("file", names[i])
		if err != nil {
			return "", nil, err
		}
		p.Write(f)
	}
	if err := w.Close(); err != nil {
		return "", nil, err
	}
	return w.FormDataContentType(), buf.Bytes(), nil
}

func newIdem() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "order-" + hex.EncodeToString(b)
}
