package client

import (
	"bytes"
	"context"
	"net/http"
	"strconv"

	"sealdesk/core/api"
	"sealdesk/core/org"
)

// Account care, 企业控制台 and the monthly report (issue 22).

// Header names of the 二次校验 code (core/server's HeaderConfirmCode and HeaderConfirmChallenge).
const (
	headerConfirmCode      = "X-SealDesk-Confirm-Code"
	headerConfirmChallenge = "X-SealDesk-Confirm-Challenge"
)

type confirmKey struct{}

// WithConfirmCode returns a context whose requests carry the 二次校验 code (with the challenge of
// the last SendOwnCode(PurposeConfirm)): pass it to Decline, Withdraw or the revision upload of a
// signature when the server answered second_check_required.
func WithConfirmCode(ctx context.Context, code string) context.Context {
	return context.WithValue(ctx, confirmKey{}, code)
}

func (c *Client) addConfirm(ctx context.Context, req *http.Request) {
	code, _ := ctx.Value(confirmKey{}).(string)
	if code == "" {
		return
	}
	req.Header.Set(headerConfirmCode, code)
	req.Header.Set(headerConfirmChallenge, c.Challenge(org.PurposeConfirm, "\x00own"))
}

// Terms returns the versions of 服务条款 and 隐私政策 a registration accepts.
func (c *Client) Terms(ctx context.Context) (org.Terms, error) {
	var t org.Terms
	return t, c.json(ctx, "GET", "/api/v1/terms", nil, &t)
}

// ResetPassword is 忘记密码: the code of SendCode(login, org.PurposeReset) and a new password.
func (c *Client) ResetPassword(ctx context.Context, r org.ResetRequest) error {
	if r.Challenge == "" {
		r.Challenge = c.Challenge(org.PurposeReset, r.Login)
	}
	return c.json(ctx, "POST", "/api/v1/auth/password/reset", r, nil)
}

// SendOwnCode sends the signed-in account a code to its own login: org.PurposeReset (修改登录密码)
// or org.PurposeConfirm (二次校验). The client keeps the challenge for ChangePassword,
// SetSecondCheck and WithConfirmCode.
func (c *Client) SendOwnCode(ctx context.Context, purpose string) error {
	var resp api.CodeResponse
	if err := c.json(ctx, "POST", "/api/v1/me/codes", api.CodeRequest{Purpose: purpose}, &resp); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.challenges == nil {
		c.challenges = map[string]string{}
	}
	c.challenges[purpose+"\x00\x00own"] = resp.Challenge
	return nil
}

// ChangePassword is 修改登录密码 (current password, or a code from SendOwnCode(PurposeReset)).
func (c *Client) ChangePassword(ctx context.Context, r org.ChangePasswordRequest) error {
	if r.Code != "" && r.Challenge == "" {
		r.Challenge = c.Challenge(org.PurposeReset, "\x00own")
	}
	return c.json(ctx, "PUT", "/api/v1/me/password", r, nil)
}

// SetSecondCheck switches the caller's 二次校验 (off needs a code from SendOwnCode(PurposeConfirm)).
func (c *Client) SetSecondCheck(ctx context.Context, r org.SecondCheckRequest) (org.Account, error) {
	if r.Code != "" && r.Challenge == "" {
		r.Challenge = c.Challenge(org.PurposeConfirm, "\x00own")
	}
	var a org.Account
	return a, c.json(ctx, "PUT", "/api/v1/me/second-check", r, &a)
}

// MyMonthly is the personal 签发量月度报表 of the last months (oldest first).
func (c *Client) MyMonthly(ctx context.Context, months int) ([]api.MonthCount, error) {
	var out []api.MonthCount
	return out, c.json(ctx, "GET", "/api/v1/me/stats/monthly?months="+strconv.Itoa(months), nil, &out)
}

// EnterpriseMonthly is an enterprise's 签发量月度报表 of the last months (oldest first).
func (c *Client) EnterpriseMonthly(ctx context.Context, enterpriseID string, months int) ([]api.MonthCount, error) {
	var out []api.MonthCount
	return out, c.json(ctx, "GET", adminEntPath(enterpriseID)+"/stats/monthly?months="+strconv.Itoa(months), nil, &out)
}

// Console returns 企业控制台's view of an enterprise: 主管理员, member count, settings.
func (c *Client) Console(ctx context.Context, enterpriseID string) (org.Console, error) {
	var v org.Console
	return v, c.json(ctx, "GET", adminEntPath(enterpriseID)+"/console", nil, &v)
}

// UpdateConsoleSettings changes 企业通知邮箱 and 二次校验 (主管理员 or 子管理员).
func (c *Client) UpdateConsoleSettings(ctx context.Context, enterpriseID string, u org.SettingsUpdate) (org.EnterpriseSettings, error) {
	var v org.EnterpriseSettings
	return v, c.json(ctx, "PUT", adminEntPath(enterpriseID)+"/settings", u, &v)
}

// SetLogo uploads the enterprise LOGO (JPG, BMP or PNG under 1 MB).
func (c *Client) SetLogo(ctx context.Context, enterpriseID string, data []byte) (org.EnterpriseSettings, error) {
	var v org.EnterpriseSettings
	_, _, err := c.do(ctx, "PUT", adminEntPath(enterpriseID)+"/logo", http.Header{"Content-Type": {"application/octet-stream"}}, data, &v)
	return v, err
}

// DeleteLogo removes the enterprise LOGO.
func (c *Client) DeleteLogo(ctx context.Context, enterpriseID string) (org.EnterpriseSettings, error) {
	var v org.EnterpriseSettings
	return v, c.json(ctx, "DELETE", adminEntPath(enterpriseID)+"/logo", nil, &v)
}

// Logo returns the enterprise's LOGO as PNG (members only; no_logo when it has none).
func (c *Client) Logo(ctx context.Context, enterpriseID string) ([]byte, error) {
	_, b, err := c.do(ctx, "GET", adminEntPath(enterpriseID)+"/logo", nil, nil, nil)
	return bytes.Clone(b), err
}
