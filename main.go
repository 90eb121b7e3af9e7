// Command sealdesk is the SealDesk desktop application: it wires the local store, the core
// services and the embedded backend to the Fyne user interface, and nothing else.
//
// Usage: sealdesk [FILE...]
package main

import (
	"os"
	"time"
)

func main() {
	start := time.Now()
	os.Exit(run(start, os.Args[1:]))
}
