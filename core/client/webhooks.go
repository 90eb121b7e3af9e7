package client

import (
	"context"
	"net/url"
	"strconv"

	"sealdesk/core/api"
	"sealdesk/core/webhook"
)

func hooksPath(enterpriseID string) string {
	return "/api/v1/enterprises/" + url.PathEscape(enterpriseID) + "/webhooks"
}

func deliveriesPath(enterpriseID string) string {
	return "/api/v1/enterprises/" + url.PathEscape(enterpriseID) + "/webhook-deliveries"
}

// Webhooks lists an enterprise's integrator endpoints (needs integrations.manage).
func (c *Client) Webhooks(ctx context.Context, enterpriseID string) (api.WebhookList, error) {
	var r api.WebhookList
	return r, c.json(ctx, "GET", hooksPath(enterpriseID), nil, &r)
}

// CreateWebhook adds an endpoint; the answer's Secret is shown this once.
func (c *Client) CreateWebhook(ctx context.Context, enterpriseID string, in webhook.EndpointInput) (api.WebhookSecret, error) {
	var r api.WebhookSecret
	return r, c.json(ctx, "POST", hooksPath(enterpriseID), in, &r)
}

// UpdateWebhook changes an endpoint's URL, description, events or enabled state.
func (c *Client) UpdateWebhook(ctx context.Context, enterpriseID, id string, in webhook.EndpointInput) (webhook.Endpoint, error) {
	var r webhook.Endpoint
	return r, c.json(ctx, "PUT", hooksPath(enterpriseID)+"/"+url.PathEscape(id), in, &r)
}

// DeleteWebhook removes an endpoint.
func (c *Client) DeleteWebhook(ctx context.Context, enterpriseID, id string) error {
	return c.json(ctx, "DELETE", hooksPath(enterpriseID)+"/"+url.PathEscape(id), nil, nil)
}

// RotateWebhookSecret gives an endpoint a new secret (shown this once).
func (c *Client) RotateWebhookSecret(ctx context.Context, enterpriseID, id string) (api.WebhookSecret, error) {
	var r api.WebhookSecret
	return r, c.json(ctx, "POST", hooksPath(enterpriseID)+"/"+url.PathEscape(id)+"/rotate", nil, &r)
}

// PingWebhook sends a webhook.ping event to one endpoint.
func (c *Client) PingWebhook(ctx context.Context, enterpriseID, id string) (webhook.Delivery, error) {
	var r webhook.Delivery
	return r, c.json(ctx, "POST", hooksPath(enterpriseID)+"/"+url.PathEscape(id)+"/ping", nil, &r)
}

// WebhookDeliveries lists deliveries newest first (endpointID "" for all; after: the last id
// of the previous page).
func (c *Client) WebhookDeliveries(ctx context.Context, enterpriseID, endpointID, after string, limit int) ([]webhook.Delivery, error) {
	q := url.Values{}
	if endpointID != "" {
		q.Set("endpoint", endpointID)
	}
	if after != "" {
		q.Set("after", after)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var r []webhook.Delivery
	return r, c.json(ctx, "GET", deliveriesPath(enterpriseID)+"?"+q.Encode(), nil, &r)
}

// WebhookDelivery returns one delivery with its event and attempts.
func (c *Client) WebhookDelivery(ctx context.Context, enterpriseID, id string) (webhook.DeliveryDetail, error) {
	var r webhook.DeliveryDetail
	return r, c.json(ctx, "GET", deliveriesPath(enterpriseID)+"/"+url.PathEscape(id), nil, &r)
}

// RedeliverWebhook sends a delivery's event again as a new delivery.
func (c *Client) RedeliverWebhook(ctx context.Context, enterpriseID, id string) (webhook.Delivery, error) {
	var r webhook.Delivery
	return r, c.json(ctx, "POST", deliveriesPath(enterpriseID)+"/"+url.PathEscape(id)+"/redeliver", nil, &r)
}
