package session

import (
	"context"

	"sealdesk/core/org"
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
