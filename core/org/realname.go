package org

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	_ "image/jpeg" // decoders for DecodeConfig of uploaded ID photos
	_ "image/png"
	"time"

	"sealdesk/core/ids"
	"sealdesk/core/sync"
)

// Verification states.
const (
	StatusAwaitingPhotos = "awaiting_photos" // manual: waiting for the front and back photos
	StatusPending        = "pending"         // waiting for a reviewer or a provider
	StatusApproved       = "approved"
	StatusRejected       = "rejected"
)

// Verification is one attempt to verify a person's real name.
type Verification struct {
	ID        string           `json:"id"`
	AccountID string           `json:"account_id"`
	Name      string           `json:"name"`
	IDNumber  string           `json:"id_number"`
	Provider  string           `json:"provider"`
	Status    string           `json:"status"`
	Photos    map[string]Photo `json:"photos,omitempty"` // by side: "front", "back"
	Reason    string           `json:"reason,omitempty"` // why it was rejected
	Reviewer  string           `json:"reviewer,omitempty"`
	Created   time.Time        `json:"created"`
	Decided   time.Time        `json:"decided,omitzero"`
}

// Photo is an uploaded ID photo, kept as a blob by its SHA-256.
type Photo struct {
	SHA256 string `json:"sha256"`
	Type   string `json:"type"` // image/png or image/jpeg
	Size   int    `json:"size"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// Provider decides (or starts deciding) a verification. Start runs inside the submitting
// transaction and returns the initial status: StatusApproved, StatusPending or
// StatusAwaitingPhotos. Providers that call out to a remote service do so before or after the
// transaction through their own queue; they must not block it.
//
// Verifies says whether an approval by the provider means someone other than the applicant
// checked the identity (a reviewer, a government or bank service). Identities approved by a
// provider that does not verify are self-declared: the CA marks their certificates so
// (pki.OIDSelfDeclaredIdentity) and nothing may present them as verified.
type Provider interface {
	Name() string
	Start(v Verification) (status string, err error)
	Verifies() bool
}

// Manual waits for ID photos and a reviewer's decision.
type Manual struct{}

// Name implements Provider.
func (Manual) Name() string { return "manual" }

// Start implements Provider.
func (Manual) Start(Verification) (string, error) { return StatusAwaitingPhotos, nil }

// Verifies implements Provider: a reviewer checks the ID photos.
func (Manual) Verifies() bool { return true }

// Dev approves every well-formed request at once. WARNING: register it only when the server
// runs with --dev; it verifies nothing.
type Dev struct{}

// Name implements Provider.
func (Dev) Name() string { return "dev" }

// Start implements Provider.
func (Dev) Start(Verification) (string, error) { return StatusApproved, nil }

// Verifies implements Provider: nobody checks anything.
func (Dev) Verifies() bool { return false }

func maskID(s string) string { return ids.MaskResidentID(s) }

// Public returns v with the ID number masked.
func (v Verification) Public() Verification {
	v.IDNumber = maskID(v.IDNumber)
	return v
}

// idRefusal turns a core/ids error into a message a person understands.
func idRefusal(err error) *sync.Refusal {
	switch {
	case errors.Is(err, ids.ErrLength):
		return refuse(400, "bad_id_number", "身份证号码应为 18 位")
	case errors.Is(err, ids.ErrCharacter):
		return refuse(400, "bad_id_number", "身份证号码只能包含数字，最后一位可以是 X")
	case errors.Is(err, ids.ErrCheckDigit):
		return refuse(400, "bad_id_number", "身份证号码校验位不正确，请核对后重新输入")
	case errors.Is(err, ids.ErrBirthDate):
		return refuse(400, "bad_id_number", "身份证号码中的出生日期不存在")
	case errors.Is(err, ids.ErrFutureDate):
		return refuse(400, "bad_id_number", "身份证号码中的出生日期晚于今天")
	case errors.Is(err, ids.ErrRegion):
		return refuse(400, "bad_id_number", "身份证号码中的地区码无效")
	}
	return refuse(400, "bad_id_number", "身份证号码无效")
}

// SubmitRealName starts a verification of the account's real name with the named provider.
func (s *Service) SubmitRealName(ctx context.Context, accountID, name, idNumber, provider string) (Verification, error) {
	name, err := CheckName(name)
	if err != nil {
		return Verification{}, err
	}
	now := s.now()
	rid, err := ids.ParseResidentID(idNumber, now)
	if err != nil {
		return Verification{}, idRefusal(err)
	}
	p, ok := s.Providers[provider]
	if !ok {
		return Verification{}, refuse(400, "unknown_provider", "不支持的实名认证方式："+provider)
	}
	v := Verification{ID: randomID("rn_"), AccountID: accountID, Name: name, IDNumber: rid.Number, Provider: provider, Created: now}
	err = s.Store.Update(ctx, func(tx sync.Tx) error {
		var a Account
		if err := sync.GetJSON(tx, BucketAccounts, accountID, &a); err != nil {
			return err
		}
		if a.RealName != nil {
			return refuse(409, "already_verified", "您已完成实名认证")
		}
		// One verification in flight per account: a new submission replaces an unfinished one.
		if oldID, err := tx.Get(BucketRealName+"_by_account", accountID); err == nil {
			var old Verification
			if err := sync.GetJSON(tx, BucketRealName, string(oldID), &old); err != nil {
				return err
			}
			if old.Status == StatusAwaitingPhotos || old.Status == StatusPending {
				old.Status, old.Reason, old.Decided = StatusRejected, "superseded", now
				if err := sync.PutJSON(tx, BucketRealName, old.ID, old); err != nil {
					return err
				}
			}
		} else if !errors.Is(err, sync.ErrNotFound) {
			return err
		}
		status, err := p.Start(v)
		if err != nil {
			return err
		}
		v.Status = status
		if err := s.saveVerification(tx, v, now); err != nil {
			return err
		}
		if err := tx.Put(BucketRealName+"_by_account", accountID, []byte(v.ID)); err != nil {
			return err
		}
		return sync.Audit(tx, sync.AuditEntry{Time: now, Actor: accountID, Action: "realname.submit", Target: v.ID, Detail: provider})
	})
	if err != nil {
		return Verification{}, err
	}
	s.notify(accountID)
	return v, nil
}

// saveVerification stores v, applies an approval to the account and emits the event.
func (s *Service) saveVerification(tx sync.Tx, v Verification, now time.Time) error {
	if err := sync.PutJSON(tx, BucketRealName, v.ID, v); err != nil {
		return err
	}
	if v.Status == StatusApproved {
		var a Account
		if err := sync.GetJSON(tx, BucketAccounts, v.AccountID, &a); err != nil {
			return err
		}
		a.RealName = &RealName{Name: v.Name, IDNumber: v.IDNumber, Provider: v.Provider, Verification: v.ID, VerifiedAt: now}
		if err := sync.PutJSON(tx, BucketAccounts, a.ID, a); err != nil {
			return err
		}
	}
	return s.event(tx, v.AccountID, "realname.updated", v.Public(), now)
}

// CurrentVerification returns the account's latest verification, or sync.ErrNotFound.
func (s *Service) CurrentVerification(ctx context.Context, accountID string) (Verification, error) {
	var v Verification
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		id, err := tx.Get(BucketRealName+"_by_account", accountID)
		if err != nil {
			return err
		}
		return sync.GetJSON(tx, BucketRealName, string(id), &v)
	})
	return v, err
}

// MaxPhotoBytes bounds one uploaded ID photo.
const MaxPhotoBytes = 5 << 20

// SniffImage accepts PNG and JPEG only, by their headers, and checks that the header decodes to
// a plausible image size. It returns the MIME type and dimensions.
func SniffImage(data []byte) (string, int, int, error) {
	if len(data) > MaxPhotoBytes {
		return "", 0, 0, refuse(413, "photo_too_large", "照片不能超过 5 MB")
	}
	var typ string
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		typ = "image/png"
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		typ = "image/jpeg"
	default:
		return "", 0, 0, refuse(415, "photo_type", "照片须为 PNG 或 JPEG 格式")
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || "image/"+format != typ {
		return "", 0, 0, refuse(415, "photo_type", "照片文件已损坏或不是 PNG/JPEG 图片")
	}
	if cfg.Width < 100 || cfg.Height < 100 || cfg.Width > 12000 || cfg.Height > 12000 {
		return "", 0, 0, refuse(400, "photo_size", "照片尺寸须在 100–12000 像素之间")
	}
	return typ, cfg.Width, cfg.Height, nil
}

// AddPhoto stores an ID photo ("front" or "back") for the account's verification; once both are
// there a manual verification goes to review.
func (s *Service) AddPhoto(ctx context.Context, accountID, verificationID, side string, data []byte) (Verification, error) {
	if side != "front" && side != "back" {
		return Verification{}, refuse(400, "bad_side", "照片须为身份证正面（front）或反面（back）")
	}
	typ, w, h, err := SniffImage(data)
	if err != nil {
		return Verification{}, err
	}
	sum := sha256.Sum256(data)
	ph := Photo{SHA256: hex.EncodeToString(sum[:]), Type: typ, Size: len(data), Width: w, Height: h}
	now := s.now()
	var v Verification
	err = s.Store.Update(ctx, func(tx sync.Tx) error {
		if err := sync.GetJSON(tx, BucketRealName, verificationID, &v); errors.Is(err, sync.ErrNotFound) {
			return refuse(404, "not_found", "认证申请不存在")
		} else if err != nil {
			return err
		}
		if v.AccountID != accountID {
			return refuse(404, "not_found", "认证申请不存在")
		}
		if v.Status != StatusAwaitingPhotos && v.Status != StatusPending {
			return refuse(409, "verification_closed", "该认证申请已处理，不能再上传照片")
		}
		if err := tx.Put(BucketBlobs, ph.SHA256, data); err != nil {
			return err
		}
		if v.Photos == nil {
			v.Photos = map[string]Photo{}
		}
		v.Photos[side] = ph
		if _, f := v.Photos["front"]; f && v.Status == StatusAwaitingPhotos {
			if _, b := v.Photos["back"]; b {
				v.Status = StatusPending
			}
		}
		if err := s.saveVerification(tx, v, now); err != nil {
			return err
		}
		return sync.Audit(tx, sync.AuditEntry{Time: now, Actor: accountID, Action: "realname.photo", Target: v.ID, Detail: side + " " + ph.SHA256})
	})
	if err != nil {
		return Verification{}, err
	}
	s.notify(accountID)
	return v, nil
}

// Reviews lists verifications in the given status (all when empty), oldest first.
func (s *Service) Reviews(ctx context.Context, status string) ([]Verification, error) {
	var out []Verification
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		return tx.Scan(BucketRealName, "", "", 0, func(_ string, b []byte) error {
			var v Verification
			if err := jsonUnmarshal(b, &v); err != nil {
				return err
			}
			if status == "" || v.Status == status {
				out = append(out, v)
			}
			return nil
		})
	})
	sortByCreated(out)
	return out, err
}

// Verification returns one verification by id.
func (s *Service) Verification(ctx context.Context, id string) (Verification, error) {
	var v Verification
	err := s.Store.View(ctx, func(tx sync.Tx) error { return sync.GetJSON(tx, BucketRealName, id, &v) })
	return v, err
}

// Blob returns stored bytes by SHA-256 (hex).
func (s *Service) Blob(ctx context.Context, sha string) ([]byte, error) {
	var b []byte
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		var err error
		b, err = tx.Get(BucketBlobs, sha)
		return err
	})
	return b, err
}

// Decide approves or rejects a pending verification as reviewer.
func (s *Service) Decide(ctx context.Context, reviewer, id string, approve bool, reason string) (Verification, error) {
	if !approve && reason == "" {
		return Verification{}, refuse(400, "reason_required", "驳回时须填写原因")
	}
	if len([]rune(reason)) > 200 {
		return Verification{}, refuse(400, "reason_too_long", "原因不能超过 200 个字符")
	}
	now := s.now()
	var v Verification
	err := s.Store.Update(ctx, func(tx sync.Tx) error {
		if err := sync.GetJSON(tx, BucketRealName, id, &v); errors.Is(err, sync.ErrNotFound) {
			return refuse(404, "not_found", "认证申请不存在")
		} else if err != nil {
			return err
		}
		if v.Status != StatusPending {
			return refuse(409, "not_pending", "该认证申请不在待审核状态")
		}
		v.Reviewer, v.Decided = reviewer, now
		if approve {
			v.Status = StatusApproved
		} else {
			v.Status, v.Reason = StatusRejected, reason
		}
		if err := s.saveVerification(tx, v, now); err != nil {
			return err
		}
		action := "realname.approve"
		if !approve {
			action = "realname.reject"
		}
		return sync.Audit(tx, sync.AuditEntry{Time: now, Actor: reviewer, Action: action, Target: v.ID, Detail: reason})
	})
	if err != nil {
		return Verification{}, err
	}
	s.notify(v.AccountID)
	return v, nil
}
