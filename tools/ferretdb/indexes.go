package main

// GIN expression indexes beside FerretDB's own.
//
// Why: FerretDB v1's PostgreSQL backend pushes an equality on a top-level field down as
// `_jsonb->'field' @> value`, while the indexes it creates itself are btree indexes on
// `(_jsonb->'field')`, which `@>` cannot use (upstream issue 4646): every such query scans the
// whole table. A GIN index on the same expression serves `@>`. So, for every collection, the
// guard creates one on `_id` at the first write it sees, and one on every top-level field of
// every index a createIndexes command declares (mongoose sends the schema's indexes that way
// when a model initialises). Dotted (nested) fields are skipped: FerretDB pushes them down as
// `#>` paths, which these indexes do not serve.
//
// At the same first write, the guard also sets the collection's table to keep documents
// uncompressed in their rows (see keepInline), and makes an index on the order of _id that
// FerretDB sorts by (see ensureIDOrder).
//
// FerretDB names a collection's table in the metadata table _ferretdb_database_metadata of the
// database's schema: one jsonb row per collection, {_id: collection name, table: table name}.

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

const (
	metadataTable = "_ferretdb_database_metadata"
	maxNameLen    = 63 // PostgreSQL's NAMEDATALEN - 1
)

type indexer struct {
	pool *pgxpool.Pool
	l    *slog.Logger

	mu      sync.Mutex                 // one ensure at a time: CREATE INDEX IF NOT EXISTS races with itself
	ensured map[string]map[string]bool // database -> "collection\x00field" -> GIN index exists
}

func newIndexer(ctx context.Context, pgURL string, l *slog.Logger) (*indexer, error) {
	cfg, err := pgxpool.ParseConfig(pgURL)
	if err != nil {
		return nil, fmt.Errorf("--postgresql-url: %w", err)
	}
	cfg.MaxConns = 2 // index creation is rare and runs one at a time
	cfg.ConnConfig.RuntimeParams["application_name"] = "ferretdb-guard"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &indexer{pool: pool, l: l, ensured: map[string]map[string]bool{}}, nil
}

func (ix *indexer) close() { ix.pool.Close() }

// afterWrite runs once FerretDB has answered a write command with ok: 1, while the command's
// locks are still held and before the client sees the reply, so that a client whose
// createIndexes returned can rely on the GIN indexes being there.
func (ix *indexer) afterWrite(c command) {
	// Index creation must not hang a client forever, but may take a while on a big table.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	switch c.name {
	case "insert", "update", "delete", "findAndModify", "findandmodify":
		ix.ensure(ctx, c.db, c.collection(), []string{"_id"})
	case "createIndexes":
		ix.ensure(ctx, c.db, c.collection(), indexedFields(c, ix.l))
	case "drop", "renameCollection":
		ix.forget(c.db, c.collection())
		if c.name == "renameCollection" {
			ix.forget(c.db, "") // the target name too; cheap to re-ensure
		}
	case "dropDatabase":
		ix.forget(c.db, "")
	}
}

// indexedFields lists _id and the top-level fields of every index in a createIndexes command.
func indexedFields(c command, l *slog.Logger) []string {
	fields := []string{"_id"}
	v, err := c.body.LookupErr("indexes")
	if err != nil {
		return fields
	}
	arr, ok := v.ArrayOK()
	if !ok {
		return fields
	}
	values, _ := arr.Values()
	for _, v := range values {
		spec, ok := v.DocumentOK()
		if !ok {
			continue
		}
		kv, err := spec.LookupErr("key")
		if err != nil {
			continue
		}
		key, ok := kv.DocumentOK()
		if !ok {
			continue
		}
		elems, _ := key.Elements()
		for _, e := range elems {
			field := e.Key()
			if strings.Contains(field, ".") || strings.HasPrefix(field, "$") || field == "" {
				l.Debug("guard: no GIN index for a nested field: FerretDB does not push it down as @>",
					slog.String("db", c.db), slog.String("collection", c.collection()), slog.String("field", field))
				continue
			}
			fields = append(fields, field)
		}
	}
	return fields
}

func (ix *indexer) ensure(ctx context.Context, db, coll string, fields []string) {
	if db == "" || coll == "" {
		return
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()

	var missing []string
	for _, f := range fields {
		if !ix.ensured[db][coll+"\x00"+f] {
			missing = append(missing, f)
		}
	}
	if len(missing) == 0 {
		return
	}

	table, err := ix.tableOf(ctx, db, coll)
	if err != nil {
		ix.l.Warn("guard: cannot read FerretDB's metadata; no GIN index made",
			slog.String("db", db), slog.String("collection", coll), slog.Any("err", err))
		return
	}
	if table == "" {
		return // no such collection (an update that matched nothing, say): nothing to index yet
	}

	if !ix.ensured[db][coll+"\x00_id"] {
		ix.keepInline(ctx, db, coll, table)
		ix.ensureIDOrder(ctx, db, coll, table)
	}

	for _, f := range missing {
		index := pgx.Identifier{db, ginIndexName(table, f)}.Sanitize()
		// fastupdate off: with it on (PostgreSQL's default), new entries wait in a pending list
		// that every search reads through until a vacuum merges it, up to gin_pending_list_limit
		// (4 MB): after a burst of inserts, looking up the 20 orders of one customer cost 10 ms
		// instead of 1.7. An index made before this is altered, and its pending list merged now.
		q := fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON %s USING gin ((_jsonb->%s)) WITH (fastupdate = off); "+
			"ALTER INDEX %s SET (fastupdate = off); SELECT gin_clean_pending_list(%s::regclass)",
			pgx.Identifier{ginIndexName(table, f)}.Sanitize(),
			pgx.Identifier{db, table}.Sanitize(),
			quoteLiteral(f),
			index,
			quoteLiteral(index),
		)
		if _, err := ix.pool.Exec(ctx, q); err != nil {
			ix.l.Warn("guard: GIN index not made", slog.String("db", db), slog.String("collection", coll),
				slog.String("field", f), slog.Any("err", err))
			continue
		}
		ix.l.Debug("guard: GIN index ensured", slog.String("db", db), slog.String("collection", coll), slog.String("field", f))
		if ix.ensured[db] == nil {
			ix.ensured[db] = map[string]bool{}
		}
		ix.ensured[db][coll+"\x00"+f] = true
	}
}

// keepInline sets the collection's table to keep a document of up to 8 kB whole and uncompressed
// in its row (toast_tuple_target = 8160, PostgreSQL's largest), rather than compress any row over
// 2 kB (the default).
//
// Why: FerretDB keeps each document as jsonb with a type schema beside every value, about three
// times the document's size: an order of 0.8 kB is stored as 2.7 kB, and so was compressed.
// Every read of such a row decompresses it again, and a find does so several times per row (the
// pushed-down filter's recheck, each sort key, the answer itself). A page of one customer's
// orders cost PostgreSQL 1.25 ms of CPU compressed and 0.83 ms uncompressed; writes no longer
// compress either. Rows written before this stay compressed until they are next written.
func (ix *indexer) keepInline(ctx context.Context, db, coll, table string) {
	q := fmt.Sprintf("ALTER TABLE %s SET (toast_tuple_target = 8160)", pgx.Identifier{db, table}.Sanitize())
	if _, err := ix.pool.Exec(ctx, q); err != nil {
		ix.l.Warn("guard: table not set to keep documents uncompressed", slog.String("db", db), slog.String("collection", coll), slog.Any("err", err))
	}
}

// idOrder is the order in which FerretDB, with the project's patch 0009, has PostgreSQL sort a
// find sorted on _id alone: the rank of the _id's BSON type, then the _id's text in byte order.
// It must stay the same expressions as prepareOrderByIDClause in that patch
// (internal/backends/postgresql/query.go), or PostgreSQL will not use the index below for it.
const idOrder = `(CASE _jsonb->'$s'->'p'->'_id'->>'t' ` +
	`WHEN 'null' THEN 1 WHEN 'double' THEN 2 WHEN 'int' THEN 2 WHEN 'long' THEN 2 WHEN 'string' THEN 3 ` +
	`WHEN 'object' THEN 4 WHEN 'array' THEN 5 WHEN 'binData' THEN 6 WHEN 'objectId' THEN 7 WHEN 'bool' THEN 8 ` +
	`WHEN 'date' THEN 9 WHEN 'timestamp' THEN 10 WHEN 'regex' THEN 11 ELSE 0 END), ((_jsonb->>'_id') COLLATE "C")`

// ensureIDOrder makes a btree index on the collection's _id order (idOrder).
//
// Why: a page of the newest documents, such as the staff's list of all orders, is a find sorted
// on _id with a limit. FerretDB (patch 0009) then asks PostgreSQL for exactly that many, in that
// order, and with this index PostgreSQL reads just those rows from its end. Without it, it read
// and sorted every document: 412 ms for the newest 51 of 20,000 orders.
func (ix *indexer) ensureIDOrder(ctx context.Context, db, coll, table string) {
	q := fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON %s (%s)",
		pgx.Identifier{idOrderIndexName(table)}.Sanitize(), pgx.Identifier{db, table}.Sanitize(), idOrder)
	if _, err := ix.pool.Exec(ctx, q); err != nil {
		ix.l.Warn("guard: _id order index not made", slog.String("db", db), slog.String("collection", coll), slog.Any("err", err))
	}
}

// forget drops what is known of a collection (or, with coll "", of the whole database), whose
// tables are gone with their indexes.
func (ix *indexer) forget(db, coll string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if coll == "" {
		delete(ix.ensured, db)
		return
	}
	for k := range ix.ensured[db] {
		if strings.HasPrefix(k, coll+"\x00") {
			delete(ix.ensured[db], k)
		}
	}
}

// tableOf returns the PostgreSQL table FerretDB keeps a collection in, or "" if there is none.
func (ix *indexer) tableOf(ctx context.Context, db, coll string) (string, error) {
	q := fmt.Sprintf("SELECT _jsonb->>'table' FROM %s WHERE _jsonb->>'_id' = $1",
		pgx.Identifier{db, metadataTable}.Sanitize())
	var table string
	err := ix.pool.QueryRow(ctx, q, coll).Scan(&table)
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return "", nil
	case errors.As(err, &pgErr) && pgErr.Code == "42P01": // undefined_table: no such database yet
		return "", nil
	case err != nil:
		return "", err
	}
	return table, nil
}

var notNameChar = regexp.MustCompile(`[^a-z0-9_]`)

// ginIndexName is a name of at most 63 bytes, unique per (table, field): a readable prefix and
// a hash of both. FerretDB's own index names end in "_idx", so these never clash with them.
func ginIndexName(table, field string) string {
	return indexName(table+"_"+notNameChar.ReplaceAllString(strings.ToLower(field), "_"), table+"\x00"+field, "gin")
}

// idOrderIndexName is the name of a table's _id order index (see ensureIDOrder), in the same form.
func idOrderIndexName(table string) string {
	return indexName(table+"_id", table+"\x00$idOrder", "order")
}

// indexName is readable, cut to fit, then a hash of key and the kind: at most 63 bytes.
func indexName(readable, key, kind string) string {
	h := fnv.New32a()
	h.Write([]byte(key))
	suffix := fmt.Sprintf("_%08x_%s", h.Sum32(), kind)
	if max := maxNameLen - len(suffix); len(readable) > max {
		readable = readable[:max]
	}
	return readable + suffix
}

func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// replyOK tells whether an OP_MSG reply's body says ok: 1.
func replyOK(msg []byte) bool {
	c := parseCommand(msg)
	if c.body == nil {
		return false
	}
	v, err := c.body.LookupErr("ok")
	if err != nil {
		return false
	}
	f, ok := asFloat(v)
	return ok && f == 1
}
