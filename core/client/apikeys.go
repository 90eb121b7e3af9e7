package client

import (
	"context"
	"net/url"

	"sealdesk/core/api"
)

// The open API's keys (issue 21), as the 企业 screen manages them. The signed /api/v1/open
// routes are for business systems and are not wrapped here: an integrator signs its own
// requests (core/apikey documents how).

func apiKeysPath(enterpriseID string) string {
	return "/api/v1/enterprises/" + url.PathEscape(enterpriseID) + "/api-keys"
}

// APIKeys lists an enterprise's API keys, newest first (needs api.manage).
func (c *Client) APIKeys(ctx context.Context, enterpriseID string) (api.APIKeyList, error) {
	var r api.APIKeyList
	return r, c.json(ctx, "GET", apiKeysPath(enterpriseID), nil, &r)
}

// CreateAPIKey makes a key acting for the caller; the answer's Secret is shown this once.
func (c *Client) CreateAPIKey(ctx context.Context, enterpriseID string, req api.APIKeyRequest) (api.APIKeyCreated, error) {
	var r api.APIKeyCreated
	return r, c.json(ctx, "POST", apiKeysPath(enterpriseID), req, &r)
}

// RevokeAPIKey revokes a key for good.
func (c *Client) RevokeAPIKey(ctx context.Context, enterpriseID, id string) (api.APIKey, error) {
	var r api.APIKey
	return r, c.json(ctx, "POST", apiKeysPath(enterpriseID)+"/"+url.PathEscape(id)+"/revoke", nil, &r)
}
