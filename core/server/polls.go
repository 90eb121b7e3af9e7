package server

import (
	"fmt"
	"net/http"
	stdsync "sync"

	"sealdesk/core/sync"
)

// DefaultPollsPerAccount bounds the long polls (GET /api/v1/sync with a wait) one account keeps
// waiting at once in one server process. A desktop follows its own scope and one per enterprise,
// on a few computers; each waiting poll holds a connection and re-reads the store every
// PollInterval, so without a bound one account could make the server read thousands of times a
// second (red team s5: 3 000 polls of one account kept a third of a core busy).
const DefaultPollsPerAccount = 32

// polls counts the waiting long polls of each account (process-local, like the gates: it bounds
// this process's connections and reads).
type polls struct {
	max int // < 0: no limit
	mu  stdsync.Mutex
	n   map[string]int
}

// enter counts a waiting poll of account, or refuses it (429 too_many_polls) over the bound; the
// caller calls leave once the poll has answered.
func (p *polls) enter(account string) (leave func(), err error) {
	if p.max < 0 {
		return func() {}, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n[account] >= p.max {
		return nil, sync.Refuse(http.StatusTooManyRequests, "too_many_polls",
			fmt.Sprintf("同一账号同时等待的同步请求过多（最多 %d 个），请关闭多余的窗口或稍后重试", p.max))
	}
	if p.n == nil {
		p.n = map[string]int{}
	}
	p.n[account]++
	var once stdsync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			if p.n[account]--; p.n[account] <= 0 {
				delete(p.n, account)
			}
		})
	}, nil
}

// WaitingPolls returns how many long polls of account wait in this process now.
func (s *Server) WaitingPolls(account string) int {
	s.polls.mu.Lock()
	defer s.polls.mu.Unlock()
	return s.polls.n[account]
}
