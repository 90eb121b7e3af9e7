package websign

import (
	"context"
	"errors"
	"net/http"

	"sealdesk/core/org"
	"sealdesk/core/sync"
)

// errNoLogo answers the LOGO address of a link whose contract's sender has none.
var errNoLogo = refuse(http.StatusNotFound, "no_logo", "该合同的发起企业未设置 LOGO")

// Logo is the LOGO of the enterprise that sent a link's contract: the PNG core/org drew when it
// was uploaded (decoded and re-encoded there, never the uploaded bytes).
type Logo struct {
	SHA256        string // of PNG, as core/org keeps it (the page's cache key)
	Width, Height int
	PNG           []byte // nil unless asked for
}

// SenderLogo returns the LOGO of the enterprise that sent the contract of token. The link must
// be one that may still be opened (as for the page itself; no session is needed: the page shows
// the LOGO before the one-time code). Only that one enterprise's LOGO is reachable through a
// link, so a link names no other enterprise's. A personal contract, or an enterprise without a
// LOGO, is a 404 no_logo refusal.
func (s *Service) SenderLogo(ctx context.Context, token string, withImage bool) (Logo, error) {
	o, err := s.open(ctx, token)
	if err != nil {
		return Logo{}, err
	}
	eid := o.env.EnterpriseID
	if eid == "" {
		return Logo{}, errNoLogo
	}
	var lg Logo
	err = s.Store.View(ctx, func(tx sync.Tx) error {
		st, err := org.GetEnterpriseSettings(tx, eid)
		if err != nil {
			return err
		}
		if st.Logo == "" {
			return errNoLogo
		}
		lg = Logo{SHA256: st.Logo, Width: st.LogoWidth, Height: st.LogoHeight}
		if !withImage {
			return nil
		}
		b, err := tx.Get(org.BucketEntLogos, eid)
		if errors.Is(err, sync.ErrNotFound) {
			return errNoLogo
		}
		lg.PNG = append([]byte(nil), b...)
		return err
	})
	return lg, err
}

// IsNoLogo reports whether err says a link's contract has no sender LOGO.
func IsNoLogo(err error) bool {
	var ref *sync.Refusal
	return errors.As(err, &ref) && ref.Code == "no_logo"
}
