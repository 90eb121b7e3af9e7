// Command sealctl is SealDesk's headless command line for scripts and IT: verify signed PDFs, sign,
// add signature fields, design seals, inspect PDFs and administer a server. It links core only
// (never Fyne) and builds with CGO_ENABLED=0.
//
// Each subcommand lives in its own file as a func(args, stdout, stderr) int returning the exit
// status; the table below is the only wiring.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
)

type command struct {
	run   func(args []string, stdout, stderr io.Writer) int
	brief string
}

var commands = map[string]command{
	"verify":  {runVerify, "verify the signatures of PDF files (exit 0 valid, 1 invalid/modified, 2 usage, 3 untrusted, 4 unsigned)"},
	"sign":    {runSign, "sign a PDF (PAdES), optionally into a named field, with a visible image"},
	"fields":  {runFields, "add empty signature fields to a PDF"},
	"pdf":     {runPDF, "inspect a PDF: pages, boxes, rotation, fields, signatures"},
	"seal":    {runSeal, "draw an official seal as a transparent PNG, or clean a photo of a seal or signature"},
	"admin":   {runAdmin, "administer a SealDesk server: review real-name and enterprise applications"},
	"release": {runRelease, "desktop updates: make a release key, sign an update manifest for sealdesk-server --updates"},
}

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

func realMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		return 2
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "sealctl: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: sealctl COMMAND [options]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-7s %s\n", n, commands[n].brief)
	}
}
