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
