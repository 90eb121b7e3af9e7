package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"sealdesk/core/pdf"
	"sealdesk/core/sign"
)

const fieldsUsage = `usage: sealctl fields add --in IN --out OUT --name N --page P --rect x1,y1,x2,y2

Adds an empty signature field (指定签署位置) in one incremental update. The rectangle is in points
in the page's visible coordinates (origin lower-left of the page as displayed).
`

// runFields adds empty signature fields.
func runFields(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "add" {
		fmt.Fprint(stderr, fieldsUsage)
		return 2
	}
	fs := flag.NewFlagSet("fields add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, fieldsUsage) }
	in := fs.String("in", "", "input PDF")
	out := fs.String("out", "", "output PDF")
	name := fs.String("name", "", "field name")
	page := fs.Int("page", 0, "page (1-based)")
	rect := fs.String("rect", "", "x1,y1,x2,y2")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *in == "" || *out == "" || *name == "" || *page < 1 || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	r, err := parseRect(*rect)
	if err != nil {
		fmt.Fprintln(stderr, "sealctl fields add:", err)
		return 2
	}
	if err := sign.AddFields(*in, *out, []sign.FieldSpec{{Name: *name, Page: *page, Rect: r}}); err != nil {
		if errors.Is(err, pdf.ErrEncrypted) {
			fmt.Fprintln(stderr, "sealctl fields add: 加密文档无法签署，请先解除密码保护 (encrypted document)")
			return 1
		}
		fmt.Fprintln(stderr, "sealctl fields add:", err)
		return 1
	}
	fmt.Fprintf(stdout, "added field %s on page %d → %s\n", *name, *page, *out)
	return 0
}
