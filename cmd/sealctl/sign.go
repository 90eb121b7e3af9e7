package main

import (
	"fmt"
	"io"
)

// runSign is replaced by the real command as its engine lands; until then it says so and fails.
func runSign(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "sealctl sign: not available in this build yet")
	return 2
}
