// Command ferretdb runs FerretDB v1.24.2 on SQLite for local runs and tests, behind a small
// wire-protocol write guard (guard.go) that restores MongoDB's single-document atomicity.
// See shared/design/STORAGE.md.
//
// It embeds the public package github.com/FerretDB/FerretDB/ferretdb instead of building
// FerretDB's own cmd/ferretdb because that command panics without build/version/version.txt,
// which the Go module does not ship. The embedded route skips that check (it only runs when the
// main module is FerretDB itself), sends no telemetry and opens no debug listener.
//
// Usage:
//
//	ferretdb --listen-addr 127.0.0.1:27017 --data-dir /abs/data/dir [--no-guard] [--log-level warn]
//
// Once clients can connect it prints one line "ready HOST:PORT" on stdout.
// SIGINT or SIGTERM stop it cleanly.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listenAddr := flag.String("listen-addr", "127.0.0.1:27017", "public TCP address clients connect to")
	dataDir := flag.String("data-dir", "", "absolute path of the SQLite data directory (created if missing)")
	noGuard := flag.Bool("no-guard", false,
		"expose FerretDB directly, without the write guard (concurrent updates can be LOST; demonstration only)")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	flag.Parse()

	if err := run(*listenAddr, *dataDir, *noGuard, *logLevel); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}
}

func run(listenAddr, dataDir string, noGuard bool, logLevel string) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	if dataDir == "" || !filepath.IsAbs(dataDir) {
		return fmt.Errorf("--data-dir must be an absolute path, got %q", dataDir)
	}
	dataDir = filepath.Clean(dataDir)
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	// The SQLite handler wants a "file:" URI naming an existing directory, with a trailing slash.
	// Building it with net/url escapes unusual characters in the path.
	cfg := &ferretdb.Config{
		Handler:   "sqlite",
		SQLiteURL: (&url.URL{Scheme: "file", Path: dataDir + "/"}).String(),
		Logger:    logger,
	}

	var guardListener net.Listener
	if noGuard {
		cfg.Listener.TCP = listenAddr
	} else {
		// FerretDB listens on a Unix socket that only the guard uses, so no client can go
		// around the guard by accident.
		sock, cleanup, err := socketPath(dataDir)
		if err != nil {
			return err
		}
		defer cleanup()
		cfg.Listener.Unix = sock

		// Take the public address before starting FerretDB, so a busy port fails fast.
		if guardListener, err = net.Listen("tcp", listenAddr); err != nil {
			return err
		}
		defer guardListener.Close()
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
		g := newGuard(cfg.Listener.Unix, logger)
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

// socketPath returns where FerretDB's private Unix socket goes: inside the data directory,
// unless that path is too long for a socket address (about 107 bytes on Linux), then in a
// fresh temporary directory. A socket file left by a killed process is removed, but a live
// one means another process serves this data directory, which SQLite files must not share.
func socketPath(dataDir string) (string, func(), error) {
	sock := filepath.Join(dataDir, "ferretdb.sock")
	if len(sock) > 100 {
		tmp, err := os.MkdirTemp("", "ferretdb-")
		if err != nil {
			return "", nil, err
		}
		return filepath.Join(tmp, "s"), func() { os.RemoveAll(tmp) }, nil
	}

	if _, err := os.Stat(sock); err == nil {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return "", nil, fmt.Errorf("data directory %s is in use by another ferretdb process", dataDir)
		}
		if err := os.Remove(sock); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", nil, err
		}
	}
	return sock, func() {}, nil // the listener removes its socket file when it closes
}
