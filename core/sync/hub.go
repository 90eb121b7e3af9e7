package sync

import (
	stdsync "sync"
)

// Hub wakes long-polling readers of a scope in this process when an event is committed there. It
// is an optimisation only: readers also re-check the store periodically, so events appended by
// another server process are seen too, only later.
type Hub struct {
	mu      stdsync.Mutex
	waiters map[string]chan struct{}
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{waiters: map[string]chan struct{}{}} }

// Wait returns a channel closed at the next Notify of scope.
func (h *Hub) Wait(scope string) <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := h.waiters[scope]
	if !ok {
		c = make(chan struct{})
		h.waiters[scope] = c
	}
	return c
}

// Notify wakes every waiter of the scopes.
func (h *Hub) Notify(scopes ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range scopes {
		if c, ok := h.waiters[s]; ok {
			close(c)
			delete(h.waiters, s)
		}
	}
}
