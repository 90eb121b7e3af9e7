// Command sealctl-render draws PDF pages for `sealctl verify`, which starts it from its own
// folder when a page's changes after signing can only be judged by drawing it (the cover check
// of core/verify). It speaks core/pdf/raster's protocol on its standard input and output and
// exits when its input ends; it is not for people.
//
// It exists so that sealctl does not link PDFium (go-pdfium and wazero): their initialisation
// cost every `sealctl verify` about 2 ms, while few files need a page drawn. Without it beside
// sealctl, such pages are reported as not checked, never as valid.
package main

import (
	"fmt"
	"os"

	"sealdesk/core/pdf/raster"
	"sealdesk/core/pdf/render"
)

func main() {
	if len(os.Args) > 1 {
		fmt.Fprintln(os.Stderr, "sealctl-render is started by sealctl verify; it takes no arguments")
		os.Exit(2)
	}
	if err := raster.Serve(os.Stdin, os.Stdout, render.Shared()); err != nil {
		fmt.Fprintf(os.Stderr, "sealctl-render: %v\n", err)
		os.Exit(1)
	}
}
