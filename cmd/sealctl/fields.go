package main

import (
	"fmt"
	"io"
)

// runFields is replaced by the real command as its engine lands; until then it says so and fails.
func runFields(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "sealctl fields: not available in this build yet")
	return 2
}
