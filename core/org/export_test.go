package org

import (
	"time"

	"sealdesk/core/sync"
)

// EncodeMember is the stored form of a member, for tests that change the database behind the
// stores' backs (as a process that died before announcing its change would leave it).
var EncodeMember = encodeMember

// NewSession opens a session for a, as a sign-in does.
func (s *Service) NewSession(tx sync.Tx, a Account, now time.Time) (Token, error) {
	return s.newSession(tx, a, now)
}
