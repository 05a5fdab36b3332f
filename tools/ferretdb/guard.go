package main

// The write guard: a MongoDB wire-protocol proxy in front of FerretDB.
//
// Why: FerretDB v1 runs update and findAndModify as "query, change the document in Go, overwrite
// it by _id" with no transaction around the read and the write, so two concurrent conditional
// updates of one document can both apply (a lost update). MongoDB makes every single-document
// write atomic and the product relies on that. The guard lets one write command per database
// through at a time, held from forwarding the request until its reply has been relayed back, so
// FerretDB never runs two writes of one database at once. Reads flow freely. SQLite takes one
// writer at a time anyway, so this costs little.
//
// The guard forwards every message byte for byte. It only looks at OP_MSG requests (opcode
// 2013), whose body section (kind 0) is a BSON document: its first key is the command name and
// its "$db" field the database. Other opcodes (OP_QUERY for old handshakes, OP_COMPRESSED, which
// drivers only use when the server offers compression, and FerretDB offers none) pass through.

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
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

// writeCommands are the commands FerretDB v1.24.2 implements that change data or metadata.
// (aggregate is not here: FerretDB v1 has neither $out nor $merge.)
var writeCommands = map[string]bool{
	"insert": true, "update": true, "delete": true, "findAndModify": true, "findandmodify": true,
	"create": true, "drop": true, "dropDatabase": true, "createIndexes": true, "dropIndexes": true,
	"renameCollection": true, "collMod": true, "compact": true,
	"createUser": true, "updateUser": true, "dropUser": true, "dropAllUsersFromDatabase": true,
}

type guard struct {
	upstream string // FerretDB's Unix socket
	l        *slog.Logger

	mu      sync.Mutex
	dbLocks map[string]*sync.Mutex // one per database name; never shrinks (few databases)
}

func newGuard(upstream string, l *slog.Logger) *guard {
	return &guard{upstream: upstream, l: l, dbLocks: map[string]*sync.Mutex{}}
}

// lock takes the write lock of database db and returns its release function, safe to call twice.
func (g *guard) lock(db string) func() {
	g.mu.Lock()
	m := g.dbLocks[db]
	if m == nil {
		m = new(sync.Mutex)
		g.dbLocks[db] = m
	}
	g.mu.Unlock()

	m.Lock()
	return sync.OnceFunc(m.Unlock)
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
	release func() // releases the database write lock held for the request; may be nil
	silent  bool   // the client expects no reply to this request: do not relay it
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

// requests relays client messages to FerretDB, taking the database's write lock before it
// forwards a write command.
func (g *guard) requests(client, up net.Conn, w *waiters) error {
	r := bufio.NewReader(client)
	var ownID int32 // ids of the guard's own requests count down from -1, clear of drivers' ids

	for {
		msg, err := readMessage(r)
		if err != nil {
			return err
		}
		requestID := int32(binary.LittleEndian.Uint32(msg[4:8]))
		cmd, db, moreToCome := inspect(msg)

		if moreToCome {
			// MongoDB sends no reply to such a request, but FerretDB v1 answers every request;
			// swallow that answer so the client's next command does not read it as its own.
			w.add(requestID, waiter{silent: true})
		}

		if !writeCommands[cmd] {
			if _, err = up.Write(msg); err != nil {
				return err
			}
			continue
		}

		release := g.lock(db)
		if !moreToCome {
			// Registered before forwarding, so the reply cannot arrive first.
			w.add(requestID, waiter{release: release})
			if _, err = up.Write(msg); err != nil {
				return err
			}
			continue
		}

		// An unacknowledged write (w:0) has no reply to wait for. FerretDB handles one
		// connection's requests in order, so follow it with a ping of our own: its reply
		// means the write is done, and releases the lock.
		ownID--
		w.add(ownID, waiter{release: release, silent: true})
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

// inspect returns, for an OP_MSG, its command name, its database and its moreToCome flag.
// Anything else, or a message it cannot parse, gives empty strings: FerretDB will answer it
// (or reject it) as it would without the guard.
func inspect(msg []byte) (cmd, db string, moreToCome bool) {
	if !isOpMsg(msg) {
		return "", "", false
	}
	flags := binary.LittleEndian.Uint32(msg[16:20])
	moreToCome = flags&flagMoreToCome != 0

	sections := msg[20:]
	if flags&flagChecksumPresent != 0 && len(sections) >= 4 {
		sections = sections[:len(sections)-4]
	}

	// Sections: kind 0 is one BSON document, kind 1 a document sequence; both start their
	// payload with an int32 size that counts itself.
	for len(sections) >= 5 {
		kind := sections[0]
		size := int(int32(binary.LittleEndian.Uint32(sections[1:5])))
		if size < 5 || size > len(sections)-1 {
			return "", "", moreToCome
		}
		if kind == 0 {
			cmd, db = commandAndDB(bsoncore.Document(sections[1 : 1+size]))
			return cmd, db, moreToCome
		}
		sections = sections[1+size:]
	}
	return "", "", moreToCome
}

func commandAndDB(doc bsoncore.Document) (cmd, db string) {
	first, err := doc.IndexErr(0)
	if err != nil {
		return "", ""
	}
	cmd = first.Key()
	if v, err := doc.LookupErr("$db"); err == nil {
		db, _ = v.StringValueOK()
	}

	// renameCollection runs on "admin" and names the collection "db.coll": lock that database.
	if cmd == "renameCollection" {
		if ns, ok := first.Value().StringValueOK(); ok {
			db, _, _ = strings.Cut(ns, ".")
		}
	}
	return cmd, db
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
