package main

import (
	"fmt"
	"io"
)

// runVerify is replaced by the real command as its engine lands; until then it says so and fails.
func runVerify(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "sealctl verify: not available in this build yet")
	return 2
}
