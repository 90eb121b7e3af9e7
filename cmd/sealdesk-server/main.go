// Command sealdesk-server is the SealDesk backend: HTTP API, sync, CA, TSA, OCSP/CRL and webhooks
// over a bbolt or PostgreSQL store. It never links Fyne and builds with CGO_ENABLED=0.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "sealdesk-server: not available in this build yet")
	os.Exit(2)
}
