package sync

import (
	"testing"
	"time"
)

func TestPrefixEnd(t *testing.T) {
	for in, want := range map[string]string{"a": "b", "ab": "ac", "a\xff": "b", "\xff\xff": "", "": ""} {
		if got := PrefixEnd(in); got != want {
			t.Errorf("PrefixEnd(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHub(t *testing.T) {
	h := NewHub()
	w1, _ := h.Wait("user:a")
	w2, _ := h.Wait("user:a")
	other, cancelOther := h.Wait("user:b")
	h.Notify("user:a")
	for _, w := range []<-chan struct{}{w1, w2} {
		select {
		case <-w:
		case <-time.After(time.Second):
			t.Fatal("waiter not woken")
		}
	}
	select {
	case <-other:
		t.Fatal("waiter of another scope woken")
	default:
	}
	// A new wait after the notify blocks until the next one.
	w3, cancel3 := h.Wait("user:a")
	select {
	case <-w3:
		t.Fatal("new waiter woken by an old notify")
	default:
	}
	// Waiters that give up are removed: nothing stays registered.
	cancel3()
	cancelOther()
	cancelOther()
	if n := h.Len(); n != 0 {
		t.Errorf("%d scopes still registered after every waiter left", n)
	}
	a1, c1 := h.Wait("user:c")
	_, c2 := h.Wait("user:c")
	c2()
	if h.Len() != 1 {
		t.Error("one of two waiters left and the scope was dropped")
	}
	h.Notify("user:c")
	<-a1
	c1() // after the notify: harmless
	if h.Len() != 0 {
		t.Errorf("%d scopes registered after the notify", h.Len())
	}
}

func TestCheckNames(t *testing.T) {
	if CheckName("") == nil || CheckName(string(make([]byte, MaxNameLen+1))) == nil || CheckName("user:x") != nil {
		t.Error("CheckName")
	}
	if CheckKey("") == nil || CheckKey(string(make([]byte, MaxKeyLen+1))) == nil || CheckKey("k") != nil {
		t.Error("CheckKey")
	}
}
