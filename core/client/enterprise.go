package client

import (
	"context"
	"net/url"
	"strconv"

	"sealdesk/core/api"
	"sealdesk/core/org"
)

// The enterprise API (SPEC §3). Every call answers 403 with code not_member, member_disabled or
// permission_denied (and a Chinese message) when the account may not do it.

func entPath(id string, rest ...string) string {
	p := "/api/v1/enterprises/" + url.PathEscape(id)
	for _, r := range rest {
		p += "/" + r
	}
	return p
}

// CreateEnterprise registers a company (name + unified social credit code); the caller becomes
// its 主管理员. A legacy code comes back with CreditCodeWarning set.
func (c *Client) CreateEnterprise(ctx context.Context, name, creditCode string) (org.Enterprise, error) {
	var e org.Enterprise
	return e, c.json(ctx, "POST", "/api/v1/enterprises", api.CreateEnterpriseRequest{Name: name, CreditCode: creditCode}, &e)
}

// MyEnterprises lists the enterprises the account belongs to, with its role and permissions in
// each.
func (c *Client) MyEnterprises(ctx context.Context) ([]org.MyEnterprise, error) {
	var r []org.MyEnterprise
	return r, c.json(ctx, "GET", "/api/v1/enterprises", nil, &r)
}

// Enterprise returns one enterprise with the caller's membership and permissions.
func (c *Client) Enterprise(ctx context.Context, id string) (org.MyEnterprise, error) {
	var r org.MyEnterprise
	return r, c.json(ctx, "GET", entPath(id), nil, &r)
}

// Members returns a page of an enterprise's members in account-id order, after the account id
// after ("" for the first page); limit 0 means 100.
func (c *Client) Members(ctx context.Context, id, after string, limit int) ([]org.Member, error) {
	q := url.Values{}
	if after != "" {
		q.Set("after", after)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var r []org.Member
	return r, c.json(ctx, "GET", entPath(id, "members")+"?"+q.Encode(), nil, &r)
}
