package org

// 企业控制台 › 企业设置 (manual 000): the enterprise LOGO (JPG, BMP or PNG under 1 MB, decoded and
// re-encoded as PNG, so what is served is an image this code drew and never the uploaded bytes),
// 企业通知邮箱 (low-quota and approval notices, sent through core/notify), 设置管理员 showing the
// 主管理员, the member count, and 二次校验 required of every member. Changes need 主管理员 or
// 子管理员; reading (the logo too) needs an enabled member. The browser signing page shows the
// logo of a contract's sender through its signing link (core/websign.Service.SenderLogo), never
// by enterprise id, so nobody can walk ids for logos.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // JPG logos
	"image/png"
	"net/http"
	"strings"
	"time"

	_ "golang.org/x/image/bmp" // BMP logos

	"sealdesk/core/notify"
	"sealdesk/core/sync"
)

// Buckets of the console.
const (
	BucketEntSettings = "ent_settings" // entID → EnterpriseSettings
	BucketEntLogos    = "ent_logos"    // entID → PNG
)

// Logo limits.
const (
	MaxLogoBytes  = 1 << 20 // the upload must be smaller (manual 000: 文件小于1M)
	MaxLogoPixels = 4096    // per side, checked before decoding
)

// EnterpriseSettings are the console's settings of an enterprise.
type EnterpriseSettings struct {
	NotifyEmail string    `json:"notify_email,omitempty"` // 企业通知邮箱
	SecondCheck bool      `json:"second_check,omitempty"` // 二次校验 required of every member
	Logo        string    `json:"logo,omitempty"`         // SHA-256 of the stored PNG ("": none)
	LogoWidth   int       `json:"logo_width,omitempty"`
	LogoHeight  int       `json:"logo_height,omitempty"`
	Updated     time.Time `json:"updated,omitzero"`
}

// GetEnterpriseSettings reads the settings of entID (zero settings when none were saved).
func GetEnterpriseSettings(tx sync.Tx, entID string) (EnterpriseSettings, error) {
	var st EnterpriseSettings
	err := sync.GetJSON(tx, BucketEntSettings, entID, &st)
	if errors.Is(err, sync.ErrNotFound) {
		return EnterpriseSettings{}, nil
	}
	return st, err
}

// MainAdmin is the 主管理员 as 设置管理员 shows it (the phone masked).
type MainAdmin struct {
	AccountID string `json:"account_id"`
	Name      string `json:"name"`
	Phone     string `json:"phone,omitempty"`
}

// Console is what 企业控制台 and the home screen show of an enterprise.
type Console struct {
	Enterprise Enterprise         `json:"enterprise"`
	MainAdmin  MainAdmin          `json:"main_admin"`
	Members    int                `json:"members"` // enabled members
	Settings   EnterpriseSettings `json:"settings"`
}

// Console returns the console of entID to an enabled member.
func (s *Service) Console(ctx context.Context, actor, entID string) (Console, error) {
	var c Console
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		if _, err := s.Require(tx, entID, actor, ""); err != nil {
			return err
		}
		e, err := GetEnterprise(tx, entID)
		if err != nil {
			return err
		}
		c.Enterprise = e
		if m, err := GetMember(tx, entID, e.Owner); err == nil {
			c.MainAdmin = MainAdmin{AccountID: m.AccountID, Name: m.Name, Phone: maskPhone(m.Phone)}
		} else if !errors.Is(err, sync.ErrNotFound) {
			return err
		}
		if c.Settings, err = GetEnterpriseSettings(tx, entID); err != nil {
			return err
		}
		return tx.Scan(BucketMembers, entID+"/", "", 0, func(k string, v []byte) error {
			m, err := GetMember(tx, entID, strings.TrimPrefix(k, entID+"/"))
			if err != nil {
				return err
			}
			if !m.Disabled {
				c.Members++
			}
			return nil
		})
	})
	return c, err
}

// SettingsUpdate changes the settings it names (nil: unchanged).
type SettingsUpdate struct {
	NotifyEmail *string `json:"notify_email,omitempty"` // "" removes it
	SecondCheck *bool   `json:"second_check,omitempty"`
}

// UpdateSettings changes 企业通知邮箱 and 二次校验 (主管理员 or 子管理员).
func (s *Service) UpdateSettings(ctx context.Context, actor, entID string, u SettingsUpdate) (EnterpriseSettings, error) {
	if err := s.Store.View(ctx, func(tx sync.Tx) error {
		_, err := s.RequireAdmin(tx, entID, actor)
		return err
	}); err != nil {
		return EnterpriseSettings{}, err
	}
	if u.NotifyEmail != nil && *u.NotifyEmail != "" {
		addr, ch, err := NormalizeLogin(*u.NotifyEmail)
		if err != nil || ch != notify.Email {
			return EnterpriseSettings{}, refuse(http.StatusBadRequest, "bad_email", "请输入正确的电子邮箱地址作为企业通知邮箱")
		}
		u.NotifyEmail = &addr
	}
	var st EnterpriseSettings
	err := s.entUpdate(ctx, entID, func(tx sync.Tx, now time.Time) error {
		if _, err := s.RequireAdmin(tx, entID, actor); err != nil {
			return err
		}
		var err error
		if st, err = GetEnterpriseSettings(tx, entID); err != nil {
			return err
		}
		var detail []string
		if u.NotifyEmail != nil {
			st.NotifyEmail = *u.NotifyEmail
			detail = append(detail, "notify_email")
		}
		if u.SecondCheck != nil {
			st.SecondCheck = *u.SecondCheck
			detail = append(detail, fmt.Sprintf("second_check=%v", st.SecondCheck))
		}
		st.Updated = now
		if err := sync.PutJSON(tx, BucketEntSettings, entID, st); err != nil {
			return err
		}
		return s.record(tx, entID, actor, "console.changed", consoleEvent(entID, st), now, strings.Join(detail, ","))
	})
	return st, err
}

// consoleEvent is the payload of console events: the settings without the e-mail address, which
// every member would otherwise read in the enterprise's scope.
func consoleEvent(entID string, st EnterpriseSettings) map[string]any {
	return map[string]any{"id": entID, "second_check": st.SecondCheck, "logo": st.Logo, "notify_email_set": st.NotifyEmail != ""}
}

// CleanLogo checks an uploaded logo (its size, its sides and what decoding it takes:
// CheckDecodedSize) and returns it decoded and re-encoded as PNG, with its size.
func CleanLogo(data []byte) ([]byte, int, int, error) {
	if len(data) >= MaxLogoBytes {
		return nil, 0, 0, refuse(http.StatusRequestEntityTooLarge, "logo_too_large",
			fmt.Sprintf("LOGO 图片须小于 1 MB（此文件 %.1f MB），请压缩后再上传", float64(len(data))/(1<<20)))
	}
	bad := refuse(http.StatusBadRequest, "bad_logo", "LOGO 仅支持 JPG、BMP、PNG 图片文件")
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || (format != "jpeg" && format != "png" && format != "bmp") {
		return nil, 0, 0, bad
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxLogoPixels || cfg.Height > MaxLogoPixels {
		return nil, 0, 0, refuse(http.StatusBadRequest, "bad_logo", fmt.Sprintf("LOGO 图片的宽和高须在 1–%d 像素之间", MaxLogoPixels))
	}
	if err := CheckDecodedSize(cfg, data); err != nil {
		return nil, 0, 0, err
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, 0, 0, bad
	}
	var out bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&out, img); err != nil {
		return nil, 0, 0, fmt.Errorf("failed to encode the logo: %w", err)
	}
	return out.Bytes(), cfg.Width, cfg.Height, nil
}

// SetLogo stores a new logo (主管理员 or 子管理员). A refused upload leaves the old logo.
func (s *Service) SetLogo(ctx context.Context, actor, entID string, data []byte) (EnterpriseSettings, error) {
	// who first: a stranger learns nothing from how the upload is judged
	if err := s.Store.View(ctx, func(tx sync.Tx) error {
		_, err := s.RequireAdmin(tx, entID, actor)
		return err
	}); err != nil {
		return EnterpriseSettings{}, err
	}
	var clean []byte
	var w, h int
	if err := s.decodeIn(ctx, "logo", func() (err error) {
		clean, w, h, err = CleanLogo(data)
		return err
	}); err != nil {
		return EnterpriseSettings{}, err
	}
	sum := sha256.Sum256(clean)
	var st EnterpriseSettings
	err := s.entUpdate(ctx, entID, func(tx sync.Tx, now time.Time) error {
		if _, err := s.RequireAdmin(tx, entID, actor); err != nil {
			return err
		}
		var err error
		if st, err = GetEnterpriseSettings(tx, entID); err != nil {
			return err
		}
		st.Logo, st.LogoWidth, st.LogoHeight, st.Updated = hex.EncodeToString(sum[:]), w, h, now
		if err := tx.Put(BucketEntLogos, entID, clean); err != nil {
			return err
		}
		if err := sync.PutJSON(tx, BucketEntSettings, entID, st); err != nil {
			return err
		}
		return s.record(tx, entID, actor, "console.changed", consoleEvent(entID, st), now, "logo")
	})
	return st, err
}

// DeleteLogo removes the logo (主管理员 or 子管理员).
func (s *Service) DeleteLogo(ctx context.Context, actor, entID string) (EnterpriseSettings, error) {
	var st EnterpriseSettings
	err := s.entUpdate(ctx, entID, func(tx sync.Tx, now time.Time) error {
		if _, err := s.RequireAdmin(tx, entID, actor); err != nil {
			return err
		}
		var err error
		if st, err = GetEnterpriseSettings(tx, entID); err != nil {
			return err
		}
		st.Logo, st.LogoWidth, st.LogoHeight, st.Updated = "", 0, 0, now
		if err := tx.Delete(BucketEntLogos, entID); err != nil {
			return err
		}
		if err := sync.PutJSON(tx, BucketEntSettings, entID, st); err != nil {
			return err
		}
		return s.record(tx, entID, actor, "console.changed", consoleEvent(entID, st), now, "logo removed")
	})
	return st, err
}

// Logo returns the PNG logo of entID (sync.ErrNotFound when it has none). It checks nobody:
// core/server serves it to members, and the signing page reads its sender's through the link.
func (s *Service) Logo(ctx context.Context, entID string) ([]byte, error) {
	var b []byte
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		v, err := tx.Get(BucketEntLogos, entID)
		b = append([]byte(nil), v...)
		return err
	})
	return b, err
}

// NotifyEnterpriseEmail sends a notice to the enterprise's 企业通知邮箱 (low quota, approvals).
// It reports false when the enterprise set none.
func (s *Service) NotifyEnterpriseEmail(ctx context.Context, entID, subject, body string) (bool, error) {
	var st EnterpriseSettings
	var name string
	if err := s.Store.View(ctx, func(tx sync.Tx) error {
		var err error
		if st, err = GetEnterpriseSettings(tx, entID); err != nil {
			return err
		}
		e, err := GetEnterprise(tx, entID)
		name = e.Name
		return err
	}); err != nil {
		return false, err
	}
	if st.NotifyEmail == "" || s.Notifier == nil {
		return false, nil
	}
	err := s.Notifier.Send(ctx, notify.Message{Channel: notify.Email, To: st.NotifyEmail, Time: s.now(),
		Subject: "SealDesk 企业通知：" + subject, Body: name + "：" + body})
	return err == nil, err
}
