package org

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"sealdesk/core/sync"
)

// DeviceTTL is how long a device stays known after its last successful sign-in.
const DeviceTTL = 90 * 24 * time.Hour

// trustedDevice is a device that signed in to an account: the server keeps only the hash of its
// token (like a session's).
type trustedDevice struct {
	Login     string    `json:"login"` // loginKey
	AccountID string    `json:"account_id"`
	Created   time.Time `json:"created"`
	Expires   time.Time `json:"expires"`
}

func deviceKey(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// knownDevice reports whether token is a live device token of login lk.
func knownDevice(tx sync.Tx, lk, token string, now time.Time) (bool, error) {
	var d trustedDevice
	err := sync.GetJSON(tx, BucketDevices, deviceKey(token), &d)
	if errors.Is(err, sync.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return d.Login == lk && now.Before(d.Expires), nil
}

// trustDevice records a successful sign-in of accountID from the device holding presented (a
// token from an earlier sign-in, or ""): a known token is renewed and returned, otherwise a new
// one is made.
func (s *Service) trustDevice(tx sync.Tx, lk, accountID, presented string, now time.Time) (string, error) {
	token := presented
	if token != "" {
		var d trustedDevice
		err := sync.GetJSON(tx, BucketDevices, deviceKey(token), &d)
		switch {
		case errors.Is(err, sync.ErrNotFound):
			token = ""
		case err != nil:
			return "", err
		case d.Login != lk || d.AccountID != accountID:
			token = "" // another account's device token: not this account's device
		}
	}
	if token == "" {
		token = randomToken("dv_")
	}
	return token, sync.PutJSON(tx, BucketDevices, deviceKey(token),
		trustedDevice{Login: lk, AccountID: accountID, Created: now, Expires: now.Add(DeviceTTL)})
}

// purgeBucket deletes the records of bucket that stale says are dead, 500 at a time (each batch
// re-checked inside the deleting transaction).
func purgeBucket(ctx context.Context, st sync.Store, bucket string, stale func([]byte) bool) (int, error) {
	n, after := 0, ""
	for {
		var keys []string
		var full bool
		err := st.View(ctx, func(tx sync.Tx) error {
			keys, full = nil, false
			seen := 0
			err := tx.Scan(bucket, "", after, 500, func(k string, v []byte) error {
				after, seen = k, seen+1
				if stale(v) {
					keys = append(keys, k)
				}
				return nil
			})
			full = seen == 500
			return err
		})
		if err != nil {
			return n, err
		}
		if len(keys) > 0 {
			err = st.Update(ctx, func(tx sync.Tx) error {
				for _, k := range keys {
					v, err := tx.Get(bucket, k)
					if errors.Is(err, sync.ErrNotFound) {
						continue
					}
					if err != nil {
						return err
					}
					if stale(v) {
						if err := tx.Delete(bucket, k); err != nil {
							return err
						}
					}
				}
				return nil
			})
			if err != nil {
				return n, err
			}
			n += len(keys)
		}
		if !full {
			return n, nil
		}
	}
}
