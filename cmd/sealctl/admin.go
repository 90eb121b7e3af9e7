package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"sealdesk/core/client"
	"sealdesk/core/org"
)

const adminUsage = `usage: sealctl admin [--server URL] [--root root.pem] [--token TOKEN] COMMAND

The server, root certificate and session token may also come from SEALDESK_SERVER,
SEALDESK_ROOT and SEALDESK_TOKEN. The account must have the admin right
(sealdesk-server grant-admin LOGIN).

commands:
  login LOGIN                 log in (password from SEALDESK_PASSWORD or stdin); prints the token
  review list [--status S]    real-name applications: pending (default), awaiting_photos,
                              approved, rejected, all
  review show ID              one application with the full ID number (JSON)
  review photo ID SIDE FILE   save the front/back ID photo to FILE
  review approve ID
  review reject ID --reason TEXT
  cert revoke SERIAL [--reason N]   revoke a certificate (RFC 5280 reason code)
  audit [--limit N] [--after KEY]   the audit log
`

// runAdmin administers a SealDesk server over its admin API.
func runAdmin(args []string, stdout, stderr io.Writer) int {
	return adminMain(context.Background(), args, os.Stdin, stdout, stderr, os.Getenv)
}

func adminMain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("sealctl admin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, adminUsage) }
	serverURL := fs.String("server", getenv("SEALDESK_SERVER"), "server URL")
	rootFile := fs.String("root", getenv("SEALDESK_ROOT"), "PEM root certificate of the server (default: system roots)")
	token := fs.String("token", getenv("SEALDESK_TOKEN"), "session token")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	rest := fs.Args()
	if len(rest) == 0 || *serverURL == "" {
		fs.Usage()
		return 2
	}
	var rootPEM []byte
	if *rootFile != "" {
		b, err := os.ReadFile(*rootFile)
		if err != nil {
			fmt.Fprintf(stderr, "sealctl admin: %v\n", err)
			return 2
		}
		rootPEM = b
	}
	c, err := client.New(*serverURL, rootPEM)
	if err != nil {
		fmt.Fprintf(stderr, "sealctl admin: %v\n", err)
		return 2
	}
	c.Token = *token
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	err = adminCommand(ctx, c, rest, stdin, stdout)
	var usage usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "sealctl admin: %v\n\n%s", err, adminUsage)
		return 2
	default:
		fmt.Fprintf(stderr, "sealctl admin: %v\n", err)
		return 1
	}
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func adminCommand(ctx context.Context, c *client.Client, args []string, stdin io.Reader, stdout io.Writer) error {
	need := func(n int) error {
		if len(args) < n {
			return usageError{"missing arguments for " + strings.Join(args, " ")}
		}
		return nil
	}
	if c.Token == "" && args[0] != "login" {
		return usageError{"no session token: run sealctl admin login first and pass --token or SEALDESK_TOKEN"}
	}
	switch args[0] {
	case "login":
		if err := need(2); err != nil {
			return err
		}
		pw := os.Getenv("SEALDESK_PASSWORD")
		if pw == "" {
			b, err := io.ReadAll(io.LimitReader(stdin, 256))
			if err != nil {
				return err
			}
			pw = strings.TrimSpace(string(b))
		}
		tok, err := c.Login(ctx, org.LoginRequest{Login: args[1], Password: pw})
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, tok.Token)
		return nil
	case "review":
		if err := need(2); err != nil {
			return err
		}
		return reviewCommand(ctx, c, args[1:], stdout)
	case "cert":
		if len(args) < 3 || args[1] != "revoke" {
			return usageError{"usage: cert revoke SERIAL [--reason N]"}
		}
		fs := flag.NewFlagSet("cert revoke", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		reason := fs.Int("reason", 0, "")
		if err := fs.Parse(args[3:]); err != nil {
			return usageError{err.Error()}
		}
		info, err := c.AdminRevoke(ctx, args[2], *reason)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked %s (%s) at %s\n", info.Serial, info.Subject, info.RevokedAt.Format(time.RFC3339))
		return nil
	case "audit":
		fs := flag.NewFlagSet("audit", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		limit := fs.Int("limit", 100, "")
		after := fs.String("after", "", "")
		if err := fs.Parse(args[1:]); err != nil {
			return usageError{err.Error()}
		}
		entries, err := c.Audit(ctx, *after, *limit)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 2, 2, ' ', 0)
		fmt.Fprintln(w, "TIME\tACTOR\tACTION\tTARGET\tDETAIL\tIP")
		for _, e := range entries {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.Format(time.RFC3339), e.Actor, e.Action, e.Target, e.Detail, e.IP)
		}
		return w.Flush()
	}
	return usageError{fmt.Sprintf("unknown admin command %q", args[0])}
}

func reviewCommand(ctx context.Context, c *client.Client, args []string, stdout io.Writer) error {
	switch args[0] {
	case "list":
		fs := flag.NewFlagSet("review list", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		status := fs.String("status", "", "")
		if err := fs.Parse(args[1:]); err != nil {
			return usageError{err.Error()}
		}
		vs, err := c.Reviews(ctx, *status)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 2, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tSTATUS\tNAME\tID NUMBER\tPHOTOS\tSUBMITTED")
		for _, v := range vs {
			var sides []string
			for _, s := range []string{"front", "back"} {
				if _, ok := v.Photos[s]; ok {
					sides = append(sides, s)
				}
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", v.ID, v.Status, v.Name, v.IDNumber, strings.Join(sides, ","), v.Created.Format(time.RFC3339))
		}
		return w.Flush()
	case "show":
		if len(args) < 2 {
			return usageError{"usage: review show ID"}
		}
		v, err := c.Review(ctx, args[1])
		if err != nil {
			return err
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case "photo":
		if len(args) < 4 {
			return usageError{"usage: review photo ID SIDE FILE"}
		}
		b, _, err := c.ReviewPhoto(ctx, args[1], args[2])
		if err != nil {
			return err
		}
		return writeFileAtomic(args[3], b)
	case "approve":
		if len(args) < 2 {
			return usageError{"usage: review approve ID"}
		}
		v, err := c.Approve(ctx, args[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s %s\n", v.ID, v.Status)
		return nil
	case "reject":
		fs := flag.NewFlagSet("review reject", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		reason := fs.String("reason", "", "")
		if len(args) < 2 {
			return usageError{"usage: review reject ID --reason TEXT"}
		}
		if err := fs.Parse(args[2:]); err != nil {
			return usageError{err.Error()}
		}
		v, err := c.Reject(ctx, args[1], *reason)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s %s\n", v.ID, v.Status)
		return nil
	}
	return usageError{fmt.Sprintf("unknown review command %q", args[0])}
}

// writeFileAtomic writes to a temporary file beside path, fsyncs and renames it.
func writeFileAtomic(path string, data []byte) error {
	dir := "."
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		dir = path[:i+1]
	}
	f, err := os.CreateTemp(dir, ".sealctl-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
