//go:build unix

package verify

import (
	"syscall"
	"time"
)

// cpuTime is the process's user + system CPU time: the time budget is checked on it, so that a
// machine shared with other work does not fail the test (the wall time is logged beside it).
// It counts the sampler of peakHeap too, which only makes the check stricter.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
