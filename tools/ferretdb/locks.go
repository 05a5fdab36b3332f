package main

// The guard's lock hierarchy: database RW lock, then collection RW lock, then a per-document
// mutex. Every write takes its locks in that order and releases them all at once, so no two
// writes can wait on each other in a cycle.
//
//	scope          database  collection  document
//	document       read      read        lock      one statement whose filter names one _id
//	insert         read      read        -         unique indexes are real PostgreSQL ones
//	collection     read      write       -         any other update, delete or findAndModify
//	database       write     -           -         DDL: create, drop, createIndexes, ...
//
// Entries are reference-counted and removed once nobody holds or waits for them, so the maps
// stay as small as the set of writes in flight (one document id per in-flight write).

import "sync"

type lockScope int

const (
	scopeNone       lockScope = iota // reads: no lock
	scopeDocument                    // one document, named by its _id
	scopeInsert                      // new documents of one collection
	scopeCollection                  // any documents of one collection
	scopeDatabase                    // the database's metadata (DDL)
)

func (s lockScope) String() string {
	return [...]string{"none", "document", "insert", "collection", "database"}[s]
}

// lockTarget says what one write command must lock.
type lockTarget struct {
	scope lockScope
	db    string
	coll  string
	doc   string // canonical key of the _id value, for scopeDocument
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
	var doc *docLock
	if t.scope != scopeDatabase {
		c = d.colls[t.coll]
		if c == nil {
			c = &collLock{docs: map[string]*docLock{}}
			d.colls[t.coll] = c
		}
		c.refs++
		if t.scope == scopeDocument {
			doc = c.docs[t.doc]
			if doc == nil {
				doc = new(docLock)
				c.docs[t.doc] = doc
			}
			doc.refs++
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
			if doc != nil {
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
			if doc != nil {
				doc.mu.Unlock()
			}
			c.rw.RUnlock()
			d.rw.RUnlock()
		}

		lt.mu.Lock()
		defer lt.mu.Unlock()
		if doc != nil {
			if doc.refs--; doc.refs == 0 {
				delete(c.docs, t.doc)
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
