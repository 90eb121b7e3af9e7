package main

import (
	"fmt"
	"io"
)

// runPDF is replaced by the real command as its engine lands; until then it says so and fails.
func runPDF(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "sealctl pdf: not available in this build yet")
	return 2
}
