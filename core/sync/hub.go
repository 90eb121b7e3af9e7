package sync

import (
	stdsync "sync"
)

// Hub wakes long-polling readers of a scope in this process when an event is committed there. It
// is an optimisation only: readers also re-check the store periodically, so events appended by
// another server process are seen too, only later.
//
// A waiter is registered by Wait and must be removed with the returned cancel when the reader
// stops waiting (a Notify removes it too), so the registry only ever holds scopes someone is
// waiting on right now.
type Hub struct {
	mu      stdsync.Mutex
	waiters map[string]*waiting
}

type waiting struct {
	c chan struct{}
	n int // readers holding c
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{waiters: map[string]*waiting{}} }

// Wait returns a channel closed at the next Notify of scope, and cancel, which the caller calls
// when it stops waiting (calling it after the Notify, or twice, is harmless).
func (h *Hub) Wait(scope string) (woken <-chan struct{}, cancel func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	w, ok := h.waiters[scope]
	if !ok {
		w = &waiting{c: make(chan struct{})}
		h.waiters[scope] = w
	}
	w.n++
	done := false
	return w.c, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if done {
			return
		}
		done = true
		w.n--
		if cur, ok := h.waiters[scope]; ok && cur == w && w.n == 0 {
			delete(h.waiters, scope)
		}
	}
}

// Len returns how many scopes have waiters (for tests and metrics).
func (h *Hub) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.waiters)
}

// Notify wakes every waiter of the scopes.
func (h *Hub) Notify(scopes ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range scopes {
		if w, ok := h.waiters[s]; ok {
			close(w.c)
			delete(h.waiters, s)
		}
	}
}
