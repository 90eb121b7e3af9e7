package client

import (
	"context"
	"net/http"
	"net/url"

	"sealdesk/core/api"
	"sealdesk/core/org"
)

func adminEntPath(enterpriseID string) string {
	return "/api/v1/enterprises/" + url.PathEscape(enterpriseID)
}

// TransferCode sends the one-time code of a main-admin transfer to the 主管理员 (the caller).
func (c *Client) TransferCode(ctx context.Context, enterpriseID string) (org.TransferChallenge, error) {
	var r org.TransferChallenge
	return r, c.json(ctx, "POST", adminEntPath(enterpriseID)+"/admin-transfer/code", nil, &r)
}

// Transfer makes req.To the 主管理员 with the code (and hands over req.Handover at once).
func (c *Client) Transfer(ctx context.Context, enterpriseID string, req org.TransferRequest) (org.AdminChangeResult, error) {
	var r org.AdminChangeResult
	return r, c.json(ctx, "POST", adminEntPath(enterpriseID)+"/admin-transfer", req, &r)
}

// HandoverKinds lists what 一键转交 can move.
func (c *Client) HandoverKinds(ctx context.Context, enterpriseID string) ([]org.HandoverKind, error) {
	var r []org.HandoverKind
	return r, c.json(ctx, "GET", adminEntPath(enterpriseID)+"/handover-kinds", nil, &r)
}

// HandOver moves a member's items to another member, then disables or deletes them (一键转交).
func (c *Client) HandOver(ctx context.Context, enterpriseID, accountID string, req org.HandoverRequest) (org.AdminChangeResult, error) {
	var r org.AdminChangeResult
	return r, c.json(ctx, "POST", adminEntPath(enterpriseID)+"/members/"+url.PathEscape(accountID)+"/handover", req, &r)
}

// StartAppeal asks to become 主管理员 of an enterprise whose admin is unreachable.
func (c *Client) StartAppeal(ctx context.Context, req org.AppealRequest) (org.Appeal, error) {
	var r org.Appeal
	return r, c.json(ctx, "POST", "/api/v1/appeals", req, &r)
}

// Appeals lists the caller's appeals.
func (c *Client) Appeals(ctx context.Context) ([]org.Appeal, error) {
	var r []org.Appeal
	return r, c.json(ctx, "GET", "/api/v1/appeals", nil, &r)
}

// Appeal returns one of the caller's appeals.
func (c *Client) Appeal(ctx context.Context, id string) (org.Appeal, error) {
	var r org.Appeal
	return r, c.json(ctx, "GET", "/api/v1/appeals/"+url.PathEscape(id), nil, &r)
}

// UploadAppealLetter uploads the stamped authorization letter (PNG or JPEG).
func (c *Client) UploadAppealLetter(ctx context.Context, id string, data []byte) (org.Appeal, error) {
	ct := "image/jpeg"
	if len(data) > 4 && string(data[1:4]) == "PNG" {
		ct = "image/png"
	}
	var r org.Appeal
	_, _, err := c.do(ctx, "PUT", "/api/v1/appeals/"+url.PathEscape(id)+"/letter", http.Header{"Content-Type": {ct}}, data, &r)
	return r, err
}

// ConfirmDeposit sends the micro-deposit amount read off the statement ("0.37").
func (c *Client) ConfirmDeposit(ctx context.Context, id, amount string) (org.Appeal, error) {
	var r org.Appeal
	return r, c.json(ctx, "POST", "/api/v1/appeals/"+url.PathEscape(id)+"/deposit", api.DepositAmount{Amount: amount}, &r)
}

// AppealReviews lists the appeals waiting for a server reviewer.
func (c *Client) AppealReviews(ctx context.Context) ([]org.Appeal, error) {
	var r []org.Appeal
	return r, c.json(ctx, "GET", "/api/v1/admin/appeals", nil, &r)
}

// AppealLetter downloads an appeal's letter (server reviewers).
func (c *Client) AppealLetter(ctx context.Context, id string) ([]byte, error) {
	_, b, err := c.do(ctx, "GET", "/api/v1/admin/appeals/"+url.PathEscape(id)+"/letter", nil, nil, nil)
	return b, err
}

// DecideAppeal approves or rejects an appeal (server reviewers; a reason is required to reject).
func (c *Client) DecideAppeal(ctx context.Context, id string, approve bool, reason string) (org.Appeal, error) {
	verb := "/reject"
	if approve {
		verb = "/approve"
	}
	var r org.Appeal
	return r, c.json(ctx, "POST", "/api/v1/admin/appeals/"+url.PathEscape(id)+verb, api.DecisionRequest{Reason: reason}, &r)
}
