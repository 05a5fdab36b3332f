package main

// What a command must lock (see locks.go), read from its OP_MSG.

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/bson/bsontype"
	"go.mongodb.org/mongo-driver/x/bsonx/bsoncore"
)

// ddlCommands are the commands FerretDB v1.24.2 implements that change metadata: they lock
// their whole database.
var ddlCommands = map[string]bool{
	"create": true, "drop": true, "dropDatabase": true, "createIndexes": true, "dropIndexes": true,
	"renameCollection": true, "collMod": true, "compact": true,
	"createUser": true, "updateUser": true, "dropUser": true, "dropAllUsersFromDatabase": true,
}

// statementsField names, per data-changing command, the array of its statements and the
// field of a statement that holds its filter. (aggregate is not a write: FerretDB v1 has
// neither $out nor $merge.)
var statementsField = map[string]struct{ array, filter string }{
	"update": {"updates", "q"},
	"delete": {"deletes", "q"},
}

// command is the part of an OP_MSG request that the guard looks at.
type command struct {
	name       string
	db         string
	body       bsoncore.Document
	sequences  map[string][]bsoncore.Document // kind 1 sections, by identifier
	moreToCome bool
}

// parseCommand reads an OP_MSG request. Anything else, or a message it cannot parse, gives an
// empty name: FerretDB will answer it (or reject it) as it would without the guard.
func parseCommand(msg []byte) command {
	var c command
	if !isOpMsg(msg) {
		return c
	}
	flags := binary.LittleEndian.Uint32(msg[16:20])
	c.moreToCome = flags&flagMoreToCome != 0

	sections := msg[20:]
	if flags&flagChecksumPresent != 0 && len(sections) >= 4 {
		sections = sections[:len(sections)-4]
	}

	// Sections: kind 0 is one BSON document, kind 1 a document sequence: an int32 size that
	// counts itself, a C string identifier, then documents.
	for len(sections) >= 5 {
		kind := sections[0]
		size := int(int32(binary.LittleEndian.Uint32(sections[1:5])))
		if size < 5 || size > len(sections)-1 {
			return command{moreToCome: c.moreToCome}
		}
		payload := sections[1 : 1+size]
		switch kind {
		case 0:
			c.body = bsoncore.Document(payload)
		case 1:
			id, docs, ok := parseSequence(payload[4:])
			if !ok {
				return command{moreToCome: c.moreToCome}
			}
			if c.sequences == nil {
				c.sequences = map[string][]bsoncore.Document{}
			}
			c.sequences[id] = docs
		}
		sections = sections[1+size:]
	}
	if c.body == nil {
		return command{moreToCome: c.moreToCome}
	}

	first, err := c.body.IndexErr(0)
	if err != nil {
		return command{moreToCome: c.moreToCome}
	}
	c.name = first.Key()
	if v, err := c.body.LookupErr("$db"); err == nil {
		c.db, _ = v.StringValueOK()
	}
	// renameCollection runs on "admin" and names the collection "db.coll": lock that database.
	if c.name == "renameCollection" {
		if ns, ok := first.Value().StringValueOK(); ok {
			c.db, _, _ = strings.Cut(ns, ".")
		}
	}
	return c
}

func parseSequence(b []byte) (id string, docs []bsoncore.Document, ok bool) {
	end := 0
	for end < len(b) && b[end] != 0 {
		end++
	}
	if end == len(b) {
		return "", nil, false
	}
	id, b = string(b[:end]), b[end+1:]
	for len(b) > 0 {
		doc, rest, ok := bsoncore.ReadDocument(b)
		if !ok {
			return "", nil, false
		}
		docs, b = append(docs, doc), rest
	}
	return id, docs, true
}

// collection is the collection a command names as the value of its first field.
func (c command) collection() string {
	first, err := c.body.IndexErr(0)
	if err != nil {
		return ""
	}
	s, _ := first.Value().StringValueOK()
	return s
}

// statements returns the documents of the array field name, from the body or from a kind 1
// section of that identifier.
func (c command) statements(name string) []bsoncore.Document {
	if docs, ok := c.sequences[name]; ok {
		return docs
	}
	v, err := c.body.LookupErr(name)
	if err != nil {
		return nil
	}
	arr, ok := v.ArrayOK()
	if !ok {
		return nil
	}
	values, err := arr.Values()
	if err != nil {
		return nil
	}
	docs := make([]bsoncore.Document, 0, len(values))
	for _, v := range values {
		d, ok := v.DocumentOK()
		if !ok {
			return nil
		}
		docs = append(docs, d)
	}
	return docs
}

// target decides what the command must lock.
func (c command) target() lockTarget {
	switch {
	case c.name == "":
		return lockTarget{}
	case ddlCommands[c.name]:
		return lockTarget{scope: scopeDatabase, db: c.db}
	}

	coll := c.collection()
	switch c.name {
	case "insert":
		// FerretDB's PostgreSQL backend makes unique indexes (_id's included) real unique
		// indexes, so concurrent inserts of one key cannot both succeed: inserts only keep
		// collection-wide writes out.
		return lockTarget{scope: scopeInsert, db: c.db, coll: coll}

	case "findAndModify", "findandmodify":
		if v, err := c.body.LookupErr("query"); err == nil {
			if q, ok := v.DocumentOK(); ok {
				if key, ok := idKey(q); ok {
					return lockTarget{scope: scopeDocument, db: c.db, coll: coll, doc: key}
				}
			}
		}
		return lockTarget{scope: scopeCollection, db: c.db, coll: coll}

	case "update", "delete":
		f := statementsField[c.name]
		// Statements that each name one _id lock just those documents (a batch of point updates,
		// such as an outbox relay's); any other statement may match several documents, and locks
		// the collection.
		stmts := c.statements(f.array)
		keys := make([]string, 0, len(stmts))
		for _, stmt := range stmts {
			key, ok := "", false
			if v, err := stmt.LookupErr(f.filter); err == nil {
				if q, isDoc := v.DocumentOK(); isDoc {
					key, ok = idKey(q)
				}
			}
			if !ok {
				return lockTarget{scope: scopeCollection, db: c.db, coll: coll}
			}
			keys = append(keys, key)
		}
		switch len(keys) {
		case 0:
			return lockTarget{scope: scopeCollection, db: c.db, coll: coll}
		case 1:
			return lockTarget{scope: scopeDocument, db: c.db, coll: coll, doc: keys[0]}
		}
		return lockTarget{scope: scopeDocuments, db: c.db, coll: coll, doc: documentKeys(keys)}
	}
	return lockTarget{}
}

// idKey returns a canonical key for the _id value a filter names by equality ({_id: X} or
// {_id: {$eq: X}}, whatever other conditions sit beside it): such a filter can only match the
// one document with that _id. Anything else ($in, a regex, no _id) is not one document.
func idKey(filter bsoncore.Document) (string, bool) {
	v, err := filter.LookupErr("_id")
	if err != nil {
		return "", false
	}
	if d, ok := v.DocumentOK(); ok {
		if first, err := d.IndexErr(0); err == nil && strings.HasPrefix(first.Key(), "$") {
			elems, _ := d.Elements()
			if len(elems) != 1 || first.Key() != "$eq" {
				return "", false
			}
			v = first.Value()
		}
	}
	return valueKey(v)
}

// valueKey encodes a BSON value so that values MongoDB compares as equal get one key: numbers
// of any type by their value, anything else by type and bytes.
func valueKey(v bsoncore.Value) (string, bool) {
	switch v.Type {
	case bsontype.Int32, bsontype.Int64, bsontype.Double:
		f, _ := asFloat(v)
		if v.Type == bsontype.Int64 && math.Abs(f) > 1<<53 {
			return "i" + strconv.FormatInt(v.Int64(), 10), true
		}
		if math.IsNaN(f) {
			return "", false
		}
		return "n" + strconv.FormatFloat(f, 'g', -1, 64), true
	case bsontype.Regex, bsontype.Decimal128, bsontype.MinKey, bsontype.MaxKey:
		// A regex matches many values; Decimal128 compares equal to other number types.
		return "", false
	default:
		return string([]byte{byte(v.Type)}) + string(v.Data), true
	}
}

// asFloat returns a numeric BSON value as a float64.
func asFloat(v bsoncore.Value) (float64, bool) {
	switch v.Type {
	case bsontype.Int32:
		return float64(v.Int32()), true
	case bsontype.Int64:
		return float64(v.Int64()), true
	case bsontype.Double:
		return v.Double(), true
	}
	return 0, false
}
