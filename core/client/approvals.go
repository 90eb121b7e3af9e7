package client

import (
	"context"
	"net/url"

	"sealdesk/core/api"
)

// --- 审批管理 (issue 22) ---------------------------------------------------------------------------

func approvalsPath(eid string) string { return "/api/v1/enterprises/" + url.PathEscape(eid) }

// PendingApprovalCount is the 需要我审批 counter of the signed-in account: pending approvals it may
// decide, across all its enterprises (the home screen's counter).
func (c *Client) PendingApprovalCount(ctx context.Context) (int, error) {
	var out api.ApprovalCount
	err := c.json(ctx, "GET", "/api/v1/approvals/count", nil, &out)
	return out.Pending, err
}

// ApprovalRules lists the enterprise's approval rules (approvals.manage).
func (c *Client) ApprovalRules(ctx context.Context, eid string) ([]api.ApprovalRule, error) {
	var out []api.ApprovalRule
	err := c.json(ctx, "GET", approvalsPath(eid)+"/approval-rules", nil, &out)
	return out, err
}

// SaveApprovalRule creates (r.ID empty) or replaces a rule (approvals.manage).
func (c *Client) SaveApprovalRule(ctx context.Context, eid string, r api.ApprovalRule) (api.ApprovalRule, error) {
	var out api.ApprovalRule
	var err error
	if r.ID == "" {
		err = c.json(ctx, "POST", approvalsPath(eid)+"/approval-rules", r, &out)
	} else {
		err = c.json(ctx, "PUT", approvalsPath(eid)+"/approval-rules/"+url.PathEscape(r.ID), r, &out)
	}
	return out, err
}

// DeleteApprovalRule removes a rule (approvals.manage).
func (c *Client) DeleteApprovalRule(ctx context.Context, eid, rid string) error {
	return c.json(ctx, "DELETE", approvalsPath(eid)+"/approval-rules/"+url.PathEscape(rid), nil, nil)
}

// SubmitApproval asks for an approval: a draft before sending, or a seal's use on a contract.
func (c *Client) SubmitApproval(ctx context.Context, eid string, req api.ApprovalSubmit) (api.Approval, error) {
	var out api.Approval
	err := c.json(ctx, "POST", approvalsPath(eid)+"/approvals", req, &out)
	return out, err
}

// Approvals lists a box of the caller: api.ApprovalBoxTodo (需要我审批), ApprovalBoxDone or
// ApprovalBoxMine.
func (c *Client) Approvals(ctx context.Context, eid, box string) ([]api.Approval, error) {
	var out []api.Approval
	err := c.json(ctx, "GET", approvalsPath(eid)+"/approvals?box="+url.QueryEscape(box), nil, &out)
	return out, err
}

// Approval returns one approval.
func (c *Client) Approval(ctx context.Context, eid, aid string) (api.Approval, error) {
	var out api.Approval
	err := c.json(ctx, "GET", approvalsPath(eid)+"/approvals/"+url.PathEscape(aid), nil, &out)
	return out, err
}

// DecideApproval approves or rejects with a comment (approvals.approve; a rejection needs one).
func (c *Client) DecideApproval(ctx context.Context, eid, aid string, approve bool, comment string) (api.Approval, error) {
	var out api.Approval
	verb := "/reject"
	if approve {
		verb = "/approve"
	}
	err := c.json(ctx, "POST", approvalsPath(eid)+"/approvals/"+url.PathEscape(aid)+verb, api.ApprovalDecision{Comment: comment}, &out)
	return out, err
}

// WithdrawApproval takes back the caller's pending request.
func (c *Client) WithdrawApproval(ctx context.Context, eid, aid string) (api.Approval, error) {
	var out api.Approval
	err := c.json(ctx, "POST", approvalsPath(eid)+"/approvals/"+url.PathEscape(aid)+"/withdraw", struct{}{}, &out)
	return out, err
}
