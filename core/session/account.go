package session

import (
	"context"
	"errors"

	"sealdesk/core/org"
	"sealdesk/core/sync"
)

// ResetPassword is 忘记密码 on the remote server: the code of SendCode(login, org.PurposeReset) and
// a new password. Nobody is signed in by it; every session of the account opened before ends.
func (m *Manager) ResetPassword(ctx context.Context, r org.ResetRequest) error {
	c, err := m.authClient()
	if err != nil {
		return err
	}
	return c.ResetPassword(ctx, r)
}

// Terms returns the versions of 服务条款 and 隐私政策 the remote server accepts now: the
// registration dialog shows them and sends them back, so the versions recorded are the ones the
// person saw (the server refuses others with terms_outdated).
func (m *Manager) Terms(ctx context.Context) (org.Terms, error) {
	c, err := m.authClient()
	if err != nil {
		return org.Terms{}, err
	}
	return c.Terms(ctx)
}

// SavedAccount reads the session kept in the machine's store st: the server address and the
// account id of the session token, ok false when none is kept. The desktop asks it once at start,
// before anybody signs in, to know whose queued work the data from before profiles holds.
func SavedAccount(ctx context.Context, st sync.Store) (server, accountID string, ok bool, err error) {
	var t savedToken
	err = st.View(ctx, func(tx sync.Tx) error { return sync.GetJSON(tx, BucketSession, keyToken, &t) })
	if errors.Is(err, sync.ErrNotFound) {
		return "", "", false, nil
	}
	if err != nil || t.Token == "" {
		return "", "", false, err
	}
	return t.URL, t.Account.ID, true, nil
}
