package main

import (
	"fmt"
	"io"
)

// runSeal is replaced by the real command as its engine lands; until then it says so and fails.
func runSeal(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "sealctl seal: not available in this build yet")
	return 2
}
