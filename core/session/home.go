package session

import (
	"bytes"
	"context"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/org"
	"sealdesk/core/sync"
)

// 首页's 快捷入口 counters (manual 000: 所有合同, 需要我签署, 即将截止签约, 需要他人签署, 即将过期) are
// read from the projection of the signed-in account's scope, where every envelope.changed event
// left the envelope's box, status and deadline ("<user scope>|envelope|<id>"). They work offline and
// cost one range scan: the values are small JSON objects read with a few byte searches instead of
// a JSON decoder (10,000 contracts in well under the 20 ms the home screen allows). The
// definitions are the server's (core/envelope due.go, GET /api/v1/envelopes/quick-counts), so
// the numbers agree online and offline.

// DueSoon is the window of 即将截止签约 and 即将过期 (api.DefaultDueDays days).
const DueSoon = api.DefaultDueDays * 24 * time.Hour

// ContractCounts are the 快捷入口 counters.
type ContractCounts struct {
	All      int // 所有合同: every contract of the account but drafts
	ToSign   int // 需要我签署: in 待我签
	DueSoon  int // 即将截止签约: in 待我签 or 待他人签 with a signing deadline within DueSoon
	Waiting  int // 需要他人签署: in 待他人签
	Expiring int // 即将过期: in 待我签, 待他人签 or 已完成 with a 合同到期日 within DueSoon
}

// CountContracts counts the projected envelopes of accountID at now (every contract the person is
// a party of, whichever enterprise sent it).
func CountContracts(tx sync.Tx, accountID string, now time.Time) (ContractCounts, error) {
	var c ContractCounts
	prefix := ProjectionKey(org.Scope(accountID), "envelope", "")
	soon := now.Add(DueSoon)
	err := tx.Scan(BucketProjection, prefix, "", 0, func(_ string, v []byte) error {
		box := string(field(v, `"box":"`))
		switch box {
		case "draft", "":
			return nil
		case "to_sign":
			c.ToSign++
		case "waiting":
			c.Waiting++
		}
		open := box == "to_sign" || box == "waiting"
		if open && due(v, `"deadline":"`, now, soon) {
			c.DueSoon++
		}
		if (open || box == "completed") && due(v, `"valid_until":"`, now, soon) {
			c.Expiring++
		}
		c.All++
		return nil
	})
	return c, err
}

// field returns the string value after key (`"box":"`) in a flat JSON object, or nil. The
// projected envelope events are written by this program's server with plain ASCII values.
func field(v []byte, key string) []byte {
	i := bytes.Index(v, []byte(key))
	if i < 0 {
		return nil
	}
	rest := v[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return nil
	}
	return rest[:j]
}

// due reports whether the date after key in v falls in (now, soon].
func due(v []byte, key string, now, soon time.Time) bool {
	d := field(v, key)
	if d == nil {
		return false
	}
	t, err := time.Parse(time.RFC3339, string(d))
	return err == nil && t.After(now) && !t.After(soon)
}

// ContractCounts counts the signed-in account's contracts from the projection; ErrNotSignedIn
// without a session.
func (m *Manager) ContractCounts(ctx context.Context) (ContractCounts, error) {
	a, ok := m.Account()
	if !ok {
		return ContractCounts{}, ErrNotSignedIn
	}
	var c ContractCounts
	err := m.dataStore().View(ctx, func(tx sync.Tx) (err error) {
		c, err = CountContracts(tx, a.ID, m.o.Now())
		return err
	})
	return c, err
}
