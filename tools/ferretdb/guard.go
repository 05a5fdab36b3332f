package main

// The write guard: a MongoDB wire-protocol proxy in front of FerretDB.
//
// Why: FerretDB v1 runs update and findAndModify as "query, change the document in Go, overwrite
// it by _id" with no transaction around the read and the write, so two concurrent conditional
// updates of one document can both apply (a lost update). MongoDB makes every single-document
// write atomic and the product relies on that. The guard takes a write command's locks (see
// locks.go: per document when its filter names one _id, per collection otherwise, per database
// for DDL) before forwarding it and holds them until its reply has been relayed back, so
// FerretDB never runs two writes that could touch one document at once. Reads flow freely.
// Once a write has succeeded, and before its locks are released, the guard makes the GIN
// indexes FerretDB's filters need (indexes.go).
//
// The guard forwards every message byte for byte. It only looks at OP_MSG requests (opcode
// 2013), whose body section (kind 0) is a BSON document: its first key is the command name and
// its "$db" field the database; a statement list may also come as a kind 1 document sequence.
// Other opcodes (OP_QUERY for old handshakes, OP_COMPRESSED, which drivers only use when the
// server offers compression, and FerretDB offers none) pass through.

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"

	"go.mongodb.org/mongo-driver/x/bsonx/bsoncore"
)

const (
	opMsg = 2013

	flagChecksumPresent = 1 << 0
	flagMoreToCome      = 1 << 1 // on a request: no reply wanted; on a reply: more replies follow

	headerLen  = 16
	maxMsgSize = 48_000_000 // MongoDB's maxMessageSizeBytes
)

type guard struct {
	upstream string   // FerretDB's Unix socket
	ix       *indexer // nil: no GIN indexes (tests of the guard alone)
	l        *slog.Logger
	locks    *lockTable
}

func newGuard(upstream string, ix *indexer, l *slog.Logger) *guard {
	return &guard{upstream: upstream, ix: ix, l: l, locks: newLockTable()}
}

// serve accepts clients until ctx is cancelled, then closes every proxied connection and waits
// for their goroutines.
func (g *guard) serve(ctx context.Context, ln net.Listener) {
	stopAccepting := context.AfterFunc(ctx, func() { ln.Close() })
	defer stopAccepting()

	var wg sync.WaitGroup
	defer wg.Wait()

	for {
		client, err := ln.Accept()
		if err != nil {
			if ctx.Err() == nil {
				g.l.Error("guard: accept failed", slog.Any("err", err))
			}
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.proxy(ctx, client)
		}()
	}
}

// proxy relays one client connection to its own FerretDB connection: one goroutine per
// direction, so the guard never changes the message flow, only delays writes.
func (g *guard) proxy(ctx context.Context, client net.Conn) {
	defer client.Close()

	up, err := net.Dial("unix", g.upstream)
	if err != nil {
		g.l.Error("guard: cannot reach FerretDB", slog.Any("err", err))
		return
	}
	defer up.Close()

	// On shutdown, cut both sides at once.
	stopClosing := context.AfterFunc(ctx, func() { client.Close(); up.Close() })
	defer stopClosing()

	w := &waiters{m: map[int32]waiter{}}
	reqDone := make(chan struct{})
	go func() {
		defer close(reqDone)
		err := g.requests(client, up, w)
		// No more requests: tell FerretDB, which finishes what it was sent, answers it, and
		// then closes its side, which ends the replies loop below.
		_ = up.(*net.UnixConn).CloseWrite()
		g.logEnd("client", err)
	}()

	// The replies loop runs until FerretDB closes the connection, even if the client left
	// early, so a write's lock is released only when FerretDB has really finished it.
	g.logEnd("FerretDB", g.replies(up, client, w))

	// FerretDB has closed this connection, so it runs nothing more for it: requests it never
	// answered hold no lock past this point (also not one the requests loop may be waiting for).
	w.releaseAll()
	client.Close() // unblocks the requests loop if FerretDB went first
	<-reqDone
	w.releaseAll() // a write the requests loop forwarded meanwhile went nowhere
}

func (g *guard) logEnd(side string, err error) {
	if err != nil && err != io.EOF && !errors.Is(err, net.ErrClosed) {
		g.l.Debug("guard: connection ended", slog.String("side", side), slog.Any("err", err))
	}
}

// waiter is what the reply direction must do when the reply to one request arrives.
type waiter struct {
	release func()             // releases the locks held for the request; may be nil
	after   func(reply []byte) // runs on the (last) reply before it is relayed; may be nil
	silent  bool               // the client expects no reply to this request: do not relay it
}

// waiters maps request ids to waiters, shared by the two directions of one connection.
type waiters struct {
	mu sync.Mutex
	m  map[int32]waiter
}

func (w *waiters) add(requestID int32, wt waiter) {
	w.mu.Lock()
	w.m[requestID] = wt
	w.mu.Unlock()
}

// take returns the waiter for a reply; it stays registered while more replies follow.
func (w *waiters) take(responseTo int32, moreToCome bool) waiter {
	w.mu.Lock()
	defer w.mu.Unlock()
	wt := w.m[responseTo]
	if !moreToCome {
		delete(w.m, responseTo)
	}
	return wt
}

func (w *waiters) releaseAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, wt := range w.m {
		if wt.release != nil {
			wt.release()
		}
		delete(w.m, id)
	}
}

// requests relays client messages to FerretDB, taking a write command's locks before it
// forwards it.
func (g *guard) requests(client, up net.Conn, w *waiters) error {
	r := bufio.NewReader(client)
	var ownID int32 // ids of the guard's own requests count down from -1, clear of drivers' ids

	for {
		msg, err := readMessage(r)
		if err != nil {
			return err
		}
		requestID := int32(binary.LittleEndian.Uint32(msg[4:8]))
		cmd := parseCommand(msg)

		if cmd.moreToCome {
			// MongoDB sends no reply to such a request, but FerretDB v1 answers every request;
			// swallow that answer so the client's next command does not read it as its own.
			w.add(requestID, waiter{silent: true})
		}

		target := cmd.target()
		if target.scope == scopeNone {
			if _, err = up.Write(msg); err != nil {
				return err
			}
			continue
		}

		release := g.locks.acquire(target)
		if !cmd.moreToCome {
			var after func([]byte)
			if g.ix != nil {
				after = func(reply []byte) {
					if replyOK(reply) {
						g.ix.afterWrite(cmd)
					}
				}
			}
			// Registered before forwarding, so the reply cannot arrive first.
			w.add(requestID, waiter{release: release, after: after})
			if _, err = up.Write(msg); err != nil {
				return err
			}
			continue
		}

		// An unacknowledged write (w:0) has no reply to wait for. FerretDB handles one
		// connection's requests in order, so follow it with a ping of our own: its reply
		// means the write is done, and releases the locks.
		var after func([]byte)
		if g.ix != nil {
			after = func([]byte) { g.ix.afterWrite(cmd) }
		}
		ownID--
		w.add(ownID, waiter{release: release, after: after, silent: true})
		if _, err = up.Write(msg); err != nil {
			return err
		}
		if _, err = up.Write(pingMessage(ownID)); err != nil {
			return err
		}
	}
}

// replies relays FerretDB's replies to the client and releases a write's lock once its (last)
// reply has been relayed. It reads until FerretDB closes the connection; once the client has
// gone it just drops the replies.
func (g *guard) replies(up, client net.Conn, w *waiters) error {
	r := bufio.NewReader(up)
	clientGone := false
	for {
		msg, err := readMessage(r)
		if err != nil {
			return err
		}
		responseTo := int32(binary.LittleEndian.Uint32(msg[8:12]))
		moreToCome := hasMoreToCome(msg)

		wt := w.take(responseTo, moreToCome)
		if wt.after != nil && !moreToCome {
			wt.after(msg)
		}
		if !wt.silent && !clientGone {
			if _, err = client.Write(msg); err != nil {
				clientGone = true
				client.Close()
			}
		}
		if wt.release != nil && !moreToCome {
			wt.release()
		}
	}
}

// readMessage reads one whole wire-protocol message (header included).
func readMessage(r *bufio.Reader) ([]byte, error) {
	var lenBuf [4]byte
	if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
		return nil, err
	}
	n := int32(binary.LittleEndian.Uint32(lenBuf[:]))
	if n < headerLen || n > maxMsgSize {
		return nil, fmt.Errorf("invalid message length %d", n)
	}
	msg := make([]byte, n)
	copy(msg, lenBuf[:])
	if _, err := io.ReadFull(r, msg[4:]); err != nil {
		return nil, err
	}
	return msg, nil
}

func isOpMsg(msg []byte) bool {
	return len(msg) >= headerLen+5 && binary.LittleEndian.Uint32(msg[12:16]) == opMsg
}

// hasMoreToCome tells whether msg is an OP_MSG flagged moreToCome.
func hasMoreToCome(msg []byte) bool {
	return isOpMsg(msg) && binary.LittleEndian.Uint32(msg[16:20])&flagMoreToCome != 0
}

// pingMessage builds an OP_MSG {ping: 1, $db: "admin"} with the given request id.
func pingMessage(requestID int32) []byte {
	doc := bsoncore.NewDocumentBuilder().AppendInt32("ping", 1).AppendString("$db", "admin").Build()

	msg := make([]byte, headerLen+4+1, headerLen+4+1+len(doc))
	binary.LittleEndian.PutUint32(msg[4:8], uint32(requestID))
	binary.LittleEndian.PutUint32(msg[12:16], opMsg)
	// msg[8:12] responseTo, msg[16:20] flags and msg[20] section kind 0 stay zero
	msg = append(msg, doc...)
	binary.LittleEndian.PutUint32(msg[0:4], uint32(len(msg)))
	return msg
}
