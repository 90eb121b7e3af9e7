package main

import (
	"fmt"
	"io"
)

// runAdmin is replaced by the real command as its engine lands; until then it says so and fails.
func runAdmin(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "sealctl admin: not available in this build yet")
	return 2
}
