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
	w1 := h.Wait("user:a")
	w2 := h.Wait("user:a")
	other := h.Wait("user:b")
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
	w3 := h.Wait("user:a")
	select {
	case <-w3:
		t.Fatal("new waiter woken by an old notify")
	default:
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
