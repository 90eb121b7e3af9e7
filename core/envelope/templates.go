package envelope

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"sealdesk/core/api"
	"sealdesk/core/sync"
)

// MaxTemplates bounds the templates of one account.
const MaxTemplates = 200

// SaveTemplate creates (t.ID empty) or replaces a template of the caller: files (uploaded blobs
// of the caller), boxes and recipient roles. Roles are checked like recipients, except that a
// role may leave the person open (name and phone empty: filled in when a contract is started).
func (s *Service) SaveTemplate(ctx context.Context, a Actor, t api.Template) (api.Template, error) {
	t.Name = strings.TrimSpace(t.Name)
	if t.Name == "" || utf8.RuneCountInString(t.Name) > 40 || strings.ContainsFunc(t.Name, isControl) {
		return api.Template{}, bad("bad_template_name", "模板名称须为 1–40 个字")
	}
	if len(t.Files) == 0 || len(t.Files) > MaxFiles {
		return api.Template{}, bad("too_many_files", fmt.Sprintf("模板须有 1–%d 个文件", MaxFiles))
	}
	if len(t.Roles) == 0 || len(t.Roles) > MaxRecipients {
		return api.Template{}, bad("bad_roles", fmt.Sprintf("模板须有 1–%d 个签署方角色", MaxRecipients))
	}
	for i, r := range t.Roles {
		switch r.Kind {
		case api.RecipientMember, api.RecipientPerson, api.RecipientCompany, api.RecipientCC:
		default:
			return api.Template{}, bad("bad_roles", fmt.Sprintf("第 %d 个角色的类型无效", i+1))
		}
	}
	for i, f := range t.Fields {
		if f.Recipient < 0 || f.Recipient >= len(t.Roles) || f.Document < 0 || f.Document >= len(t.Files) || f.Page < 1 {
			return api.Template{}, bad("bad_field", fmt.Sprintf("第 %d 个签署位置无效", i+1))
		}
	}
	if t.Order == "" {
		t.Order = api.OrderSequential
	}
	t.OwnerID, t.Updated = a.Account.ID, s.now()
	err := s.Store.Update(ctx, func(tx sync.Tx) error {
		for _, f := range t.Files {
			if _, err := tx.Get(BucketBlobOwners, a.Account.ID+"/"+f.SHA256); err != nil {
				if errors.Is(err, sync.ErrNotFound) {
					return bad("bad_file", fmt.Sprintf("文件「%s」未上传", f.Name))
				}
				return err
			}
		}
		if t.ID == "" {
			if err := sync.Claim(tx, "templates/"+a.Account.ID); err != nil {
				return err
			}
			n := 0
			if err := tx.Scan(BucketTemplates, a.Account.ID+"/", "", MaxTemplates+1, func(string, []byte) error { n++; return nil }); err != nil {
				return err
			}
			if n >= MaxTemplates {
				return bad("too_many_templates", fmt.Sprintf("最多保存 %d 个模板", MaxTemplates))
			}
			t.ID = randomID("tpl_")
		} else if _, err := tx.Get(BucketTemplates, a.Account.ID+"/"+t.ID); err != nil {
			if errors.Is(err, sync.ErrNotFound) {
				return refuse(http.StatusNotFound, "not_found", "模板不存在")
			}
			return err
		}
		return sync.PutJSON(tx, BucketTemplates, a.Account.ID+"/"+t.ID, t)
	})
	return t, err
}

// Templates lists the caller's templates.
func (s *Service) Templates(ctx context.Context, a Actor) ([]api.Template, error) {
	out := []api.Template{}
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		return tx.Scan(BucketTemplates, a.Account.ID+"/", "", 0, func(_ string, v []byte) error {
			var t api.Template
			if err := jsonUnmarshal(v, &t); err != nil {
				return err
			}
			out = append(out, t)
			return nil
		})
	})
	return out, err
}

// DeleteTemplate removes a template of the caller.
func (s *Service) DeleteTemplate(ctx context.Context, a Actor, id string) error {
	return s.Store.Update(ctx, func(tx sync.Tx) error {
		k := a.Account.ID + "/" + id
		if sync.CheckKey(k) != nil {
			return refuse(http.StatusNotFound, "not_found", "模板不存在")
		}
		if _, err := tx.Get(BucketTemplates, k); err != nil {
			if errors.Is(err, sync.ErrNotFound) {
				return refuse(http.StatusNotFound, "not_found", "模板不存在")
			}
			return err
		}
		return tx.Delete(BucketTemplates, k)
	})
}
