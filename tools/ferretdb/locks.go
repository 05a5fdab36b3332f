package main

// The guard's lock hierarchy: database RW lock, then collection RW lock, then a per-document
// mutex. Every write takes its locks in that order and releases them all at once, so no two
// writes can wait on each other in a cycle.
//
//	scope          database  collection  document
//	document       read      read        lock      one statement whose filter names one _id
//	documents      read      read        lock each statements that each name one _id
//	insert         read      read        -         unique indexes are real PostgreSQL ones
//	collection     read      write       -         any other update, delete or findAndModify
//	database       write     -           -         DDL: create, drop, createIndexes, ...
//
// Entries are reference-counted and removed once nobody holds or waits for them, so the maps
// stay as small as the set of writes in flight (one document id per in-flight write).
//
// A write of several documents locks them in the order of their keys, so two such writes cannot
// wait on each other in a cycle either.

import (
	"encoding/binary"
	"slices"
	"sync"
)

type lockScope int

const (
	scopeNone       lockScope = iota // reads: no lock
	scopeDocument                    // one document, named by its _id
	scopeDocuments                   // several documents, each named by its _id
	scopeInsert                      // new documents of one collection
	scopeCollection                  // any documents of one collection
	scopeDatabase                    // the database's metadata (DDL)
)

func (s lockScope) String() string {
	return [...]string{"none", "document", "documents", "insert", "collection", "database"}[s]
}

// lockTarget says what one write command must lock.
type lockTarget struct {
	scope lockScope
	db    string
	coll  string
	doc   string // canonical key of the _id value, for scopeDocument; documentKeys for scopeDocuments
}

// documentKeys packs sorted, distinct document keys into one string (each prefixed by its
// length), so that a lockTarget stays a comparable value.
func documentKeys(keys []string) string {
	keys = slices.Clone(keys)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	var packed []byte
	for _, k := range keys {
		packed = binary.AppendUvarint(packed, uint64(len(k)))
		packed = append(packed, k...)
	}
	return string(packed)
}

// keys lists the document keys a target locks, in the order they are taken.
func (t lockTarget) keys() []string {
	switch t.scope {
	case scopeDocument:
		return []string{t.doc}
	case scopeDocuments:
		var keys []string
		for rest := []byte(t.doc); len(rest) > 0; {
			n, size := binary.Uvarint(rest)
			keys = append(keys, string(rest[size:size+int(n)]))
			rest = rest[size+int(n):]
		}
		return keys
	}
	return nil
}

type lockTable struct {
	mu  sync.Mutex
	dbs map[string]*dbLock
}

type dbLock struct {
	refs  int
	rw    sync.RWMutex
	colls map[string]*collLock
}

type collLock struct {
	refs int
	rw   sync.RWMutex
	docs map[string]*docLock
}

type docLock struct {
	refs int
	mu   sync.Mutex
}

func newLockTable() *lockTable {
	return &lockTable{dbs: map[string]*dbLock{}}
}

// acquire blocks until t's locks are held and returns their release function, which is safe
// to call more than once.
func (lt *lockTable) acquire(t lockTarget) func() {
	if t.scope == scopeNone {
		return func() {}
	}

	// Register interest (refs) on the whole path first, under the table's mutex, so no entry
	// is removed while this write waits for it; then wait outside the table's mutex.
	lt.mu.Lock()
	d := lt.dbs[t.db]
	if d == nil {
		d = &dbLock{colls: map[string]*collLock{}}
		lt.dbs[t.db] = d
	}
	d.refs++
	var c *collLock
	keys := t.keys()
	docs := make([]*docLock, len(keys))
	if t.scope != scopeDatabase {
		c = d.colls[t.coll]
		if c == nil {
			c = &collLock{docs: map[string]*docLock{}}
			d.colls[t.coll] = c
		}
		c.refs++
		for i, key := range keys {
			doc := c.docs[key]
			if doc == nil {
				doc = new(docLock)
				c.docs[key] = doc
			}
			doc.refs++
			docs[i] = doc
		}
	}
	lt.mu.Unlock()

	if t.scope == scopeDatabase {
		d.rw.Lock()
	} else {
		d.rw.RLock()
		if t.scope == scopeCollection {
			c.rw.Lock()
		} else {
			c.rw.RLock()
			for _, doc := range docs {
				doc.mu.Lock()
			}
		}
	}

	return sync.OnceFunc(func() {
		switch t.scope {
		case scopeDatabase:
			d.rw.Unlock()
		case scopeCollection:
			c.rw.Unlock()
			d.rw.RUnlock()
		default:
			for _, doc := range docs {
				doc.mu.Unlock()
			}
			c.rw.RUnlock()
			d.rw.RUnlock()
		}

		lt.mu.Lock()
		defer lt.mu.Unlock()
		for i, doc := range docs {
			if doc.refs--; doc.refs == 0 {
				delete(c.docs, keys[i])
			}
		}
		if c != nil {
			if c.refs--; c.refs == 0 {
				delete(d.colls, t.coll)
			}
		}
		if d.refs--; d.refs == 0 {
			delete(lt.dbs, t.db)
		}
	})
}

// size counts the entries of the table, for tests: it must fall back to zero when idle.
func (lt *lockTable) size() (dbs, colls, docs int) {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	for _, d := range lt.dbs {
		dbs++
		for _, c := range d.colls {
			colls++
			docs += len(c.docs)
		}
	}
	return dbs, colls, docs
}
