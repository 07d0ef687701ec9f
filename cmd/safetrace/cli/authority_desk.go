package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/safetrace/safetrace/deploy/authority"
	"github.com/safetrace/safetrace/desk"
)

// authorityServe runs the health authority's desk (package desk) until ctx
// is done.
func authorityServe(ctx context.Context, args []string) error {
	fs := newFlagSet("authority serve")
	kpath := fs.String("key", "", "authority key `file` (required; it stays in this process)")
	spath := fs.String("staff", "", "staff `file` from 'safetrace authority staff add' (required)")
	listen := fs.String("listen", "127.0.0.1:8443", "`address` to serve the desk on")
	data := fs.String("data", "", "data `directory` for the audit log and revocation list (default: desk/ beside the staff file)")
	cert := fs.String("tls-cert", "", "TLS certificate `file` (required unless --listen is a loopback address)")
	tlsKey := fs.String("tls-key", "", "TLS private key `file`")
	valid := fs.String("valid", "14d", "validity of issued codes, as a Go `duration` or a number of days like 14d")
	level := fs.String("log-level", "info", "log `level`: debug, info, warn, error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *kpath == "" || *spath == "" {
		return errors.New("authority serve: --key and --staff are required")
	}
	if (*cert == "") != (*tlsKey == "") {
		return errors.New("authority serve: give both --tls-cert and --tls-key, or neither")
	}
	host, _, err := net.SplitHostPort(*listen)
	if err != nil {
		return fmt.Errorf("authority serve: --listen: %w", err)
	}
	if ip := net.ParseIP(host); *cert == "" && (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
		return fmt.Errorf("authority serve: plain HTTP on %s: staff passwords and session cookies would cross the network in the clear\nsafetrace: hint: give --tls-cert and --tls-key, or listen on 127.0.0.1 behind a TLS proxy on the same machine", *listen)
	}
	validity, err := parseValidity(*valid)
	if err != nil {
		return err
	}
	if validity < time.Minute || validity > authority.MaxValidity {
		return fmt.Errorf("authority serve: --valid %v: need 1m..%v", validity, authority.MaxValidity)
	}
	log, err := serverLogger("authority", *level)
	if err != nil {
		return err
	}
	key, err := authority.LoadKey(*kpath)
	if err != nil {
		return err
	}
	staff, err := desk.LoadStaff(*spath)
	if err != nil {
		return err
	}
	if len(staff.Members) == 0 {
		return fmt.Errorf("authority serve: %s has no accounts\nsafetrace: hint: 'safetrace authority staff add --staff %s NAME'", *spath, *spath)
	}
	if *data == "" {
		*data = filepath.Join(filepath.Dir(*spath), "desk")
	}
	srv, err := desk.New(desk.Config{Key: key, Staff: staff, DataDir: *data, Secure: *cert != "", Validity: validity, Logger: log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("authority serve: %w", err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}
	done := make(chan error, 1)
	go func() {
		if *cert != "" {
			done <- hs.ServeTLS(ln, *cert, *tlsKey)
		} else {
			done <- hs.Serve(ln)
		}
	}()
	scheme := "https"
	if *cert == "" {
		scheme = "http"
	}
	log.Info("desk serving", "url", scheme+"://"+ln.Addr().String()+"/", "authority", key.Name, "staff", len(staff.Members))
	select {
	case err := <-done:
		return fmt.Errorf("authority serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return hs.Shutdown(sctx)
}

const staffUsage = `usage:
  safetrace authority staff add --staff FILE [--password-stdin] NAME`

func authorityStaff(ctx context.Context, args []string) error {
	return dispatch(ctx, "authority staff", staffUsage, args, verbs{"add": noContext(staffAdd)})
}

// staffAdd adds an account to a staff file; NAME may come before or after
// the flags.
func staffAdd(args []string) error {
	fs := newFlagSet("authority staff add")
	fs.Usage = usageFunc(fs, staffUsage)
	spath := fs.String("staff", "", "staff `file` to create or add to, mode 0600 (required)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input instead of generating one")
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	} else if n := len(args); n > 0 && !strings.HasPrefix(args[n-1], "-") && (n < 2 || args[n-2] != "--staff") {
		name, args = args[n-1], args[:n-1]
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *spath == "" || name == "" {
		return errors.New("authority staff add: --staff FILE and an account NAME are required")
	}
	password := ""
	if *fromStdin {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("authority staff add: reading the password: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	} else {
		password = desk.GeneratePassword()
	}
	if err := desk.AddStaff(*spath, name, password, desk.DefaultParams); err != nil {
		return err
	}
	if !*fromStdin {
		fmt.Fprintf(stdout, "%s\n", password)
		fmt.Fprintf(os.Stderr, "safetrace: added %s to %s; the password above is shown once\n", name, *spath)
	}
	return nil
}
