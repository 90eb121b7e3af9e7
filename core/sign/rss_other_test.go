//go:build !unix

package sign

import "os"

// maxRSS is not measured where getrusage does not exist (Windows): 0, and the benchmark's memory
// column reads 0.
func maxRSS(*os.ProcessState) int64 { return 0 }
