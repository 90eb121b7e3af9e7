//go:build !unix

package sign

import (
	"os"
	"time"
)

// maxRSS is not measured where getrusage does not exist (Windows): 0, and the benchmark's memory
// column reads 0.
func maxRSS(*os.ProcessState) int64 { return 0 }

func flushDirty() {}

func loadAverage() string { return "?" }

func cpuTime() time.Duration { return 0 }

func minorFaults() int64 { return 0 }
