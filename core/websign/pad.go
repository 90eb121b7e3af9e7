package websign

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"sealdesk/core/org"
	"sealdesk/core/seal"
	"sealdesk/core/sync"
)

// pad is a stored phone pad (keyed by the SHA-256 of its token).
type pad struct {
	Account string    `json:"account"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	Used    bool      `json:"used,omitempty"`
	Voided  bool      `json:"voided,omitempty"`
}

// PadTicket is a new phone pad: the URL its QR code shows.
type PadTicket struct {
	URL     string    `json:"url"`
	Expires time.Time `json:"expires"`
}

// DrawnSignature is the payload of a signature.drawn event.
type DrawnSignature struct {
	Strokes json.RawMessage `json:"strokes"` // core/seal.Signature
	Time    time.Time       `json:"time"`
	Device  string          `json:"device,omitempty"`
}

var (
	errPadInvalid = refuse(http.StatusNotFound, "pad_invalid", "二维码无效：请在电脑上重新获取二维码")
	errPadExpired = refuse(http.StatusGone, "pad_expired", "二维码已过期：请在电脑上点击「重新获取二维码」")
	errPadUsed    = refuse(http.StatusGone, "pad_used", "该二维码已使用：签名已发送到电脑，如需重签请在电脑上重新获取二维码")
	errPadVoided  = refuse(http.StatusGone, "pad_voided", "该二维码已作废：电脑上已重新获取了新的二维码，请扫描新的二维码")
)

// NewPad makes a one-time phone pad for accountID and voids the account's previous one.
func (s *Service) NewPad(ctx context.Context, accountID string) (PadTicket, error) {
	tok := newToken()
	h := hashToken(tok)
	now := s.now()
	t := PadTicket{URL: s.BaseURL + "/p/" + tok, Expires: now.Add(PadTTL)}
	err := s.Store.Update(ctx, func(tx sync.Tx) error {
		if old, err := tx.Get(BucketPadOwners, accountID); err == nil {
			var p pad
			if err := sync.GetJSON(tx, BucketPads, string(old), &p); err == nil && !p.Used {
				p.Voided = true
				if err := sync.PutJSON(tx, BucketPads, string(old), p); err != nil {
					return err
				}
			} else if err != nil && !errors.Is(err, sync.ErrNotFound) {
				return err
			}
		} else if !errors.Is(err, sync.ErrNotFound) {
			return err
		}
		if err := sync.InsertJSON(tx, BucketPads, h, pad{Account: accountID, Created: now, Expires: t.Expires}); err != nil {
			return err
		}
		return tx.Put(BucketPadOwners, accountID, []byte(h))
	})
	return t, err
}

func (s *Service) loadPad(tx sync.Tx, token string) (string, pad, error) {
	var p pad
	if err := checkToken(token); err != nil {
		return "", p, errPadInvalid
	}
	h := hashToken(token)
	if err := sync.GetJSON(tx, BucketPads, h, &p); errors.Is(err, sync.ErrNotFound) {
		return "", p, errPadInvalid
	} else if err != nil {
		return "", p, err
	}
	switch {
	case p.Used:
		return "", p, errPadUsed
	case p.Voided:
		return "", p, errPadVoided
	case s.now().After(p.Expires):
		return "", p, errPadExpired
	}
	return h, p, nil
}

// CheckPad reports whether a pad can still be drawn on.
func (s *Service) CheckPad(ctx context.Context, token string) error {
	return s.Store.View(ctx, func(tx sync.Tx) error {
		_, _, err := s.loadPad(tx, token)
		return err
	})
}

// SubmitPad takes the strokes the phone drew: the pad is used up and the strokes go to the
// account's desktops as a signature.drawn event.
func (s *Service) SubmitPad(ctx context.Context, token string, strokes []byte, device string) error {
	sg, err := seal.ParseSignature(strokes)
	if err != nil {
		return refuse(http.StatusBadRequest, "bad_strokes", "签名笔迹无效，请清除后重新书写")
	}
	clean, err := sg.Marshal()
	if err != nil {
		return refuse(http.StatusBadRequest, "bad_strokes", "签名笔迹无效，请清除后重新书写")
	}
	if len(device) > 120 {
		device = device[:120]
	}
	now := s.now()
	var scope string
	err = s.Store.Update(ctx, func(tx sync.Tx) error {
		h, p, err := s.loadPad(tx, token)
		if err != nil {
			return err
		}
		p.Used = true
		if err := sync.PutJSON(tx, BucketPads, h, p); err != nil {
			return err
		}
		payload, err := json.Marshal(DrawnSignature{Strokes: clean, Time: now, Device: device})
		if err != nil {
			return err
		}
		scope = org.Scope(p.Account)
		if _, err := tx.Append(sync.Event{Scope: scope, Type: EventSignatureDrawn, Time: now, Payload: payload}); err != nil {
			return err
		}
		return sync.Audit(tx, sync.AuditEntry{Time: now, Actor: p.Account, Action: "websign.pad_drawn", Detail: device})
	})
	if err == nil && s.Hub != nil {
		s.Hub.Notify(scope)
	}
	return err
}
