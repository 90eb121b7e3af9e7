//go:build !unix

package verify

import "time"

var processStart = time.Now()

// cpuTime falls back to the wall time since the test binary started where getrusage does not
// exist (Windows): a stricter budget on a busy machine, never a looser one.
func cpuTime() time.Duration {
	return time.Since(processStart)
}
