package main

import (
	"encoding/binary"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/x/bsonx/bsoncore"
)

// buildMsg builds an OP_MSG request with body doc and optional kind 1 sections.
func buildMsg(doc bsoncore.Document, seqs map[string][]bsoncore.Document) []byte {
	msg := make([]byte, headerLen+4)
	binary.LittleEndian.PutUint32(msg[12:16], opMsg)
	msg = append(msg, 0)
	msg = append(msg, doc...)
	for id, docs := range seqs {
		payload := append([]byte(id), 0)
		for _, d := range docs {
			payload = append(payload, d...)
		}
		size := make([]byte, 4)
		binary.LittleEndian.PutUint32(size, uint32(4+len(payload)))
		msg = append(msg, 1)
		msg = append(msg, size...)
		msg = append(msg, payload...)
	}
	binary.LittleEndian.PutUint32(msg[0:4], uint32(len(msg)))
	return msg
}

func doc(build func(b *bsoncore.DocumentBuilder)) bsoncore.Document {
	b := bsoncore.NewDocumentBuilder()
	build(b)
	return b.Build()
}

func updateCmd(filters ...bsoncore.Document) bsoncore.Document {
	arr := bsoncore.NewArrayBuilder()
	for _, q := range filters {
		arr.AppendDocument(doc(func(b *bsoncore.DocumentBuilder) {
			b.AppendDocument("q", q).AppendDocument("u", doc(func(b *bsoncore.DocumentBuilder) {}))
		}))
	}
	return doc(func(b *bsoncore.DocumentBuilder) {
		b.AppendString("update", "products").AppendArray("updates", arr.Build()).AppendString("$db", "shop")
	})
}

func TestTarget(t *testing.T) {
	byID := doc(func(b *bsoncore.DocumentBuilder) { b.AppendString("_id", "a").AppendInt32("stock", 1) })
	byIDEq := doc(func(b *bsoncore.DocumentBuilder) {
		b.AppendDocument("_id", doc(func(b *bsoncore.DocumentBuilder) { b.AppendString("$eq", "a") }))
	})
	byIDIn := doc(func(b *bsoncore.DocumentBuilder) {
		b.AppendDocument("_id", doc(func(b *bsoncore.DocumentBuilder) {
			b.AppendArray("$in", bsoncore.NewArrayBuilder().AppendString("a").Build())
		}))
	})
	bySku := doc(func(b *bsoncore.DocumentBuilder) { b.AppendString("sku", "x") })
	int32ID := doc(func(b *bsoncore.DocumentBuilder) { b.AppendInt32("_id", 7) })
	doubleID := doc(func(b *bsoncore.DocumentBuilder) { b.AppendDouble("_id", 7) })

	for name, tc := range map[string]struct {
		msg  []byte
		want lockTarget
	}{
		"find is a read": {
			buildMsg(doc(func(b *bsoncore.DocumentBuilder) { b.AppendString("find", "products").AppendString("$db", "shop") }), nil),
			lockTarget{},
		},
		"update by _id":     {buildMsg(updateCmd(byID), nil), lockTarget{scopeDocument, "shop", "products", "\x02" + string(bsoncore.AppendString(nil, "a"))}},
		"update by _id $eq": {buildMsg(updateCmd(byIDEq), nil), lockTarget{scopeDocument, "shop", "products", "\x02" + string(bsoncore.AppendString(nil, "a"))}},
		"update by _id $in": {buildMsg(updateCmd(byIDIn), nil), lockTarget{scope: scopeCollection, db: "shop", coll: "products"}},
		"update by sku":     {buildMsg(updateCmd(bySku), nil), lockTarget{scope: scopeCollection, db: "shop", coll: "products"}},
		"two statements by _id": {buildMsg(updateCmd(byID, int32ID), nil), lockTarget{scopeDocuments, "shop", "products",
			documentKeys([]string{"n7", "\x02" + string(bsoncore.AppendString(nil, "a"))})}},
		"the same _id twice":             {buildMsg(updateCmd(byID, byIDEq), nil), lockTarget{scopeDocuments, "shop", "products", documentKeys([]string{"\x02" + string(bsoncore.AppendString(nil, "a"))})}},
		"two statements, one not by _id": {buildMsg(updateCmd(byID, bySku), nil), lockTarget{scope: scopeCollection, db: "shop", coll: "products"}},
		"statements in a kind 1 section": {
			buildMsg(doc(func(b *bsoncore.DocumentBuilder) { b.AppendString("delete", "products").AppendString("$db", "shop") }),
				map[string][]bsoncore.Document{"deletes": {doc(func(b *bsoncore.DocumentBuilder) { b.AppendDocument("q", int32ID).AppendInt32("limit", 1) })}}),
			lockTarget{scopeDocument, "shop", "products", "n7"},
		},
		"findAndModify by a double _id locks as the int": {
			buildMsg(doc(func(b *bsoncore.DocumentBuilder) {
				b.AppendString("findAndModify", "products").AppendDocument("query", doubleID).AppendString("$db", "shop")
			}), nil),
			lockTarget{scopeDocument, "shop", "products", "n7"},
		},
		"insert": {
			buildMsg(doc(func(b *bsoncore.DocumentBuilder) { b.AppendString("insert", "products").AppendString("$db", "shop") }), nil),
			lockTarget{scope: scopeInsert, db: "shop", coll: "products"},
		},
		"createIndexes": {
			buildMsg(doc(func(b *bsoncore.DocumentBuilder) {
				b.AppendString("createIndexes", "products").AppendString("$db", "shop")
			}), nil),
			lockTarget{scope: scopeDatabase, db: "shop"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			if got := parseCommand(tc.msg).target(); got != tc.want {
				t.Errorf("target = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestLockTableExcludesAndShrinks(t *testing.T) {
	lt := newLockTable()
	docA := lockTarget{scopeDocument, "db", "c", "a"}
	docB := lockTarget{scopeDocument, "db", "c", "b"}
	coll := lockTarget{scope: scopeCollection, db: "db", coll: "c"}

	releaseA := lt.acquire(docA)
	lt.acquire(docB)()                                                                    // another document: not blocked by a
	lt.acquire(lockTarget{scopeDocuments, "db", "c", documentKeys([]string{"b", "c"})})() // nor are others together

	blockedMany := make(chan func())
	go func() {
		blockedMany <- lt.acquire(lockTarget{scopeDocuments, "db", "c", documentKeys([]string{"c", "a"})})
	}()
	select {
	case <-blockedMany:
		t.Fatal("a write of documents c and a got in while a was held")
	case <-time.After(50 * time.Millisecond):
	}
	releaseA()
	(<-blockedMany)()
	releaseA = lt.acquire(docA)

	acquired := make(chan func())
	go func() { acquired <- lt.acquire(docA) }()
	go func() { acquired <- lt.acquire(coll) }()
	select {
	case <-acquired:
		t.Fatal("a second write of document a, or a collection write, got in while a was held")
	case <-time.After(50 * time.Millisecond):
	}
	releaseA()
	releaseA() // safe twice
	(<-acquired)()
	(<-acquired)()

	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			lt.acquire(lockTarget{scopeDocument, "db", "c", string(rune('a' + i%7))})()
		}(i)
	}
	wg.Wait()
	if dbs, colls, docs := lt.size(); dbs+colls+docs != 0 {
		t.Errorf("idle table holds %d databases, %d collections, %d documents; want none", dbs, colls, docs)
	}
}

func TestEveryConnectionUsesCustomPlans(t *testing.T) {
	got, err := withCustomPlans("postgres://u@127.0.0.1:5432/ferretdb?sslmode=disable&plan_cache_mode=auto")
	if err != nil {
		t.Fatal(err)
	}
	want := "postgres://u@127.0.0.1:5432/ferretdb?plan_cache_mode=force_custom_plan&sslmode=disable"
	if got != want {
		t.Errorf("withCustomPlans = %s, want %s", got, want)
	}
}
