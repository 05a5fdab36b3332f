// Command ferretdb runs FerretDB v1.24.2 on PostgreSQL for local runs and tests, behind a small
// wire-protocol write guard (guard.go) that restores MongoDB's single-document atomicity and
// gives every filtered field a GIN index that FerretDB's pushed-down filters can use (indexes.go).
// See shared/design/STORAGE.md.
//
// It embeds the public package github.com/FerretDB/FerretDB/ferretdb instead of building
// FerretDB's own cmd/ferretdb because that command panics without build/version/version.txt,
// which the Go module does not ship. The embedded route skips that check (it only runs when the
// main module is FerretDB itself), sends no telemetry and opens no debug listener.
//
// Usage:
//
//	ferretdb --listen-addr 127.0.0.1:27017 --postgresql-url postgres://user@127.0.0.1:5432/ferretdb \
//	  [--no-guard] [--log-level warn] [--profile-addr 127.0.0.1:6060]
//
// The PostgreSQL database must exist; FerretDB keeps each MongoDB database in a schema of it.
// Once clients can connect it prints one line "ready HOST:PORT" on stdout.
// SIGINT or SIGTERM stop it cleanly.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof" // served only with --profile-addr
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listenAddr := flag.String("listen-addr", "127.0.0.1:27017", "public TCP address clients connect to")
	pgURL := flag.String("postgresql-url", "", "PostgreSQL URL of the (existing) database FerretDB keeps its data in")
	noGuard := flag.Bool("no-guard", false,
		"expose FerretDB directly, without the write guard (concurrent updates can be LOST, "+
			"no GIN indexes are made; demonstration only)")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	profileAddr := flag.String("profile-addr", "",
		"serve Go's profiles (net/http/pprof) on this address, for benchmarks; off when empty")
	flag.Parse()

	// FerretDB allocates a great deal per command (every document goes through JSON and its own
	// types), so the collector's default pace spent about a seventh of its CPU. A store for one
	// machine's tests and local runs can afford a larger heap: collect at 4x the live heap, and
	// sooner only when near 512 MiB. GOGC and GOMEMLIMIT in the environment still win.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(512 << 20)
	}

	if *profileAddr != "" {
		go func() {
			// Only pprof's handlers are registered on the default mux.
			if err := http.ListenAndServe(*profileAddr, nil); err != nil {
				fmt.Fprintln(os.Stderr, "ferretdb: --profile-addr:", err)
			}
		}()
	}

	if err := run(*listenAddr, *pgURL, *noGuard, *logLevel); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}
}

func run(listenAddr, pgURL string, noGuard bool, logLevel string) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	pgURL, err := withCustomPlans(pgURL)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	cfg := &ferretdb.Config{
		Handler:       "postgresql",
		PostgreSQLURL: pgURL,
		Logger:        logger,
	}

	var guardListener net.Listener
	var ix *indexer
	if noGuard {
		cfg.Listener.TCP = listenAddr
	} else {
		// FerretDB listens on a Unix socket in a private directory that only the guard uses,
		// so no client can go around the guard by accident.
		dir, err := os.MkdirTemp("", "ferretdb-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.Listener.Unix = filepath.Join(dir, "s")

		// Take the public address before starting FerretDB, so a busy port fails fast.
		if guardListener, err = net.Listen("tcp", listenAddr); err != nil {
			return err
		}
		defer guardListener.Close()

		if ix, err = newIndexer(ctx, pgURL, logger); err != nil {
			return err
		}
		defer ix.close()
	}

	// New opens the listeners, so connections are accepted (queued) as soon as it returns.
	f, err := ferretdb.New(cfg)
	if err != nil {
		return err
	}

	ferretDone := make(chan struct{})
	go func() {
		defer close(ferretDone)
		_ = f.Run(ctx) // returns once ctx is cancelled and its connections are closed
	}()

	addr := ""
	guardDone := make(chan struct{})
	if noGuard {
		close(guardDone)
		u, err := url.Parse(f.MongoDBURI())
		if err != nil {
			return err
		}
		addr = u.Host
		logger.Warn("write guard disabled: concurrent updates of one document can be lost")
	} else {
		g := newGuard(cfg.Listener.Unix, ix, logger)
		go func() {
			defer close(guardDone)
			g.serve(ctx, guardListener)
		}()
		addr = guardListener.Addr().String()
	}

	fmt.Printf("ready %s\n", addr)

	<-ctx.Done()
	stop() // a second signal kills the process the default way
	logger.Info("shutting down")
	<-guardDone
	<-ferretDone
	return nil
}

// withCustomPlans returns the PostgreSQL URL with plan_cache_mode=force_custom_plan, which pgx
// sends as a run-time parameter of every connection.
//
// Why: FerretDB pushes an equality filter down as `_jsonb->$1 @> $2`, the field name being a
// bind parameter of a prepared statement. Only a custom plan, made with the parameter's value,
// sees the expression `_jsonb->'field'` that a GIN expression index is built on. After five
// executions PostgreSQL may switch a prepared statement to a generic plan, which cannot match
// the index and scans the table instead.
func withCustomPlans(pgURL string) (string, error) {
	if pgURL == "" {
		return "", fmt.Errorf("--postgresql-url is required")
	}
	u, err := url.Parse(pgURL)
	if err != nil {
		return "", fmt.Errorf("--postgresql-url: %w", err)
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return "", fmt.Errorf("--postgresql-url must be a postgres:// URL")
	}
	q := u.Query()
	q.Set("plan_cache_mode", "force_custom_plan")
	u.RawQuery = q.Encode()
	return u.String(), nil
}
