package org

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
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
		if owner, err := tx.Get(BucketRealNameByID, rid.Number); err == nil && string(owner) != accountID {
			return errIDInUse
		} else if err != nil && !errors.Is(err, sync.ErrNotFound) {
			return err
		}
		c, err := getCounter(tx, "realname:"+accountID, now, 24*time.Hour)
		if err != nil {
			return err
		}
		if c.Count >= MaxSubmissionsPerDay {
			return refuse(429, "too_many_submissions", fmt.Sprintf("每个账号每天最多提交 %d 次实名认证", MaxSubmissionsPerDay))
		}
		c.Count++
		if err := sync.PutJSON(tx, BucketLimits, "realname:"+accountID, c); err != nil {
			return err
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
				if err := deletePhotos(tx, old); err != nil {
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

// BucketRealNameByID maps a resident ID number to the one account verified with it.
const BucketRealNameByID = "realname_by_id"

// MaxSubmissionsPerDay bounds the real-name submissions of one account per day.
const MaxSubmissionsPerDay = 10

var errIDInUse = refuse(409, "id_in_use", "该身份证号码已用于其他账号的实名认证；一个身份证号码只能认证一个账号")

// saveVerification stores v, applies an approval to the account (one account per ID number) and
// emits the event.
func (s *Service) saveVerification(tx sync.Tx, v Verification, now time.Time) error {
	if err := sync.PutJSON(tx, BucketRealName, v.ID, v); err != nil {
		return err
	}
	if v.Status == StatusApproved {
		if err := tx.Insert(BucketRealNameByID, v.IDNumber, []byte(v.AccountID)); errors.Is(err, sync.ErrExists) {
			owner, err := tx.Get(BucketRealNameByID, v.IDNumber)
			if err != nil {
				return err
			}
			if string(owner) != v.AccountID {
				return errIDInUse
			}
		} else if err != nil {
			return err
		}
		var a Account
		if err := sync.GetJSON(tx, BucketAccounts, v.AccountID, &a); err != nil {
			return err
		}
		a.RealName = &RealName{Name: v.Name, IDNumber: v.IDNumber, Provider: v.Provider, Verification: v.ID, VerifiedAt: now}
		if err := PutAccount(tx, a); err != nil {
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

// Limits of uploaded ID photos.
const (
	MaxPhotoBytes  = 5 << 20    // bytes of one upload
	MaxPhotoSide   = 8000       // pixels, either side
	MinPhotoSide   = 100        // pixels, either side
	MaxPhotoPixels = 25_000_000 // width × height (and at most MaxDecodedImage decoded)
)

// AbandonedUploadTTL is how long a verification may wait for its photos before it expires and
// its uploads are deleted.
const AbandonedUploadTTL = 7 * 24 * time.Hour

// CleanImage accepts a PNG or JPEG, decodes it completely (within the dimension limits, so a
// small file declaring a huge image is refused before any pixel is decoded) and re-encodes it:
// what is stored is only the picture, without trailing bytes, metadata (EXIF, GPS) or anything
// hidden behind a valid header. It returns the new bytes, their MIME type and dimensions.
func CleanImage(data []byte) ([]byte, string, int, int, error) {
	if len(data) > MaxPhotoBytes {
		return nil, "", 0, 0, refuse(413, "photo_too_large", "照片不能超过 5 MB")
	}
	var typ string
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		typ = "image/png"
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		typ = "image/jpeg"
	default:
		return nil, "", 0, 0, refuse(415, "photo_type", "照片须为 PNG 或 JPEG 格式")
	}
	broken := refuse(415, "photo_type", "照片文件已损坏或不是 PNG/JPEG 图片")
	var cfg image.Config
	var err error
	if typ == "image/png" {
		cfg, err = png.DecodeConfig(bytes.NewReader(data))
	} else {
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
	}
	if err != nil {
		return nil, "", 0, 0, broken
	}
	if cfg.Width < MinPhotoSide || cfg.Height < MinPhotoSide || cfg.Width > MaxPhotoSide || cfg.Height > MaxPhotoSide ||
		int64(cfg.Width)*int64(cfg.Height) > MaxPhotoPixels {
		return nil, "", 0, 0, refuse(400, "photo_size", fmt.Sprintf("照片尺寸须在 %d–%d 像素之间，且不超过 %d 万像素", MinPhotoSide, MaxPhotoSide, MaxPhotoPixels/10000))
	}
	if err := CheckDecodedSize(cfg, data); err != nil {
		return nil, "", 0, 0, err
	}
	var img image.Image
	if typ == "image/png" {
		img, err = png.Decode(bytes.NewReader(data))
	} else {
		img, err = jpeg.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return nil, "", 0, 0, broken
	}
	var out bytes.Buffer
	if typ == "image/png" {
		err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&out, img)
	} else {
		err = jpeg.Encode(&out, img, &jpeg.Options{Quality: 92})
	}
	if err != nil {
		return nil, "", 0, 0, fmt.Errorf("failed to re-encode photo: %w", err)
	}
	if out.Len() > MaxPhotoBytes {
		return nil, "", 0, 0, refuse(413, "photo_too_large", "照片不能超过 5 MB")
	}
	b := img.Bounds()
	return out.Bytes(), typ, b.Dx(), b.Dy(), nil
}

func photoKey(verificationID, side string) string { return verificationID + "/" + side }

// deletePhotos removes the uploaded photos of v.
func deletePhotos(tx sync.Tx, v Verification) error {
	for side := range v.Photos {
		if err := tx.Delete(BucketBlobs, photoKey(v.ID, side)); err != nil {
			return err
		}
	}
	return nil
}

// AddPhoto stores an ID photo ("front" or "back") for the account's verification; once both are
// there a manual verification goes to review.
func (s *Service) AddPhoto(ctx context.Context, accountID, verificationID, side string, data []byte) (Verification, error) {
	if side != "front" && side != "back" {
		return Verification{}, refuse(400, "bad_side", "照片须为身份证正面（front）或反面（back）")
	}
	release, err := s.gate().Enter(ctx) // decoding takes up to MaxDecodedImage: the decode gate
	if err != nil {
		return Verification{}, fmt.Errorf("photo: %w", err)
	}
	data, typ, w, h, err := CleanImage(data)
	release()
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
		if err := tx.Put(BucketBlobs, photoKey(v.ID, side), data); err != nil {
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

// Photo returns the bytes of an uploaded photo of v (sync.ErrNotFound once deleted).
func (s *Service) Photo(ctx context.Context, v Verification, side string) ([]byte, error) {
	ph, ok := v.Photos[side]
	if !ok {
		return nil, sync.ErrNotFound
	}
	var b []byte
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		var err error
		b, err = tx.Get(BucketBlobs, photoKey(v.ID, side))
		if errors.Is(err, sync.ErrNotFound) {
			b, err = tx.Get(BucketBlobs, ph.SHA256) // uploaded before photos were kept per verification
		}
		return err
	})
	return b, err
}

// ExpireAbandoned ends the verifications that have waited for their photos longer than age
// (status rejected, reason "expired") and deletes what was uploaded for them. It returns how
// many it expired.
func (s *Service) ExpireAbandoned(ctx context.Context, age time.Duration) (int, error) {
	now := s.now()
	var stale []string
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		return tx.Scan(BucketRealName, "", "", 0, func(k string, b []byte) error {
			var v Verification
			if err := jsonUnmarshal(b, &v); err != nil {
				return err
			}
			if v.Status == StatusAwaitingPhotos && now.Sub(v.Created) > age {
				stale = append(stale, k)
			}
			return nil
		})
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range stale {
		var v Verification
		err := s.Store.Update(ctx, func(tx sync.Tx) error {
			if err := sync.GetJSON(tx, BucketRealName, id, &v); err != nil {
				return err
			}
			if v.Status != StatusAwaitingPhotos {
				return nil
			}
			if err := deletePhotos(tx, v); err != nil {
				return err
			}
			v.Status, v.Reason, v.Decided, v.Photos = StatusRejected, "expired", now, nil
			if err := s.saveVerification(tx, v, now); err != nil {
				return err
			}
			return sync.Audit(tx, sync.AuditEntry{Time: now, Actor: "system", Action: "realname.expire", Target: v.ID})
		})
		if err != nil {
			return n, err
		}
		n++
		s.notify(v.AccountID)
	}
	return n, nil
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

// IndexIDNumbers fills BucketRealNameByID from the accounts verified before the index existed
// (once per store; a marker records it). Accounts that already share a number keep their
// verification; their ids are returned so the operator can review them.
func (s *Service) IndexIDNumbers(ctx context.Context) (shared []string, err error) {
	err = s.Store.Update(ctx, func(tx sync.Tx) error {
		shared = nil
		if _, err := tx.Get("meta", "realname_by_id.v1"); err == nil {
			return nil
		} else if !errors.Is(err, sync.ErrNotFound) {
			return err
		}
		err := tx.Scan(BucketAccounts, "", "", 0, func(id string, b []byte) error {
			var a Account
			if err := jsonUnmarshal(b, &a); err != nil {
				return err
			}
			if a.RealName == nil {
				return nil
			}
			if err := tx.Insert(BucketRealNameByID, a.RealName.IDNumber, []byte(a.ID)); errors.Is(err, sync.ErrExists) {
				shared = append(shared, a.ID)
			} else if err != nil {
				return err
			}
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Put("meta", "realname_by_id.v1", []byte("1"))
	})
	return shared, err
}
