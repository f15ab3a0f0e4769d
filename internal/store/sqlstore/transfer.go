package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Backup writes a consistent copy of a SQLite database to path while it
// serves: VACUUM INTO reads one snapshot (WAL readers do not block the
// writer, nor it them) and writes a compacted database file that opens
// like any other. path must not exist. PostgreSQL has pg_dump for this.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.d.Name != "sqlite" {
		return errors.New("backup copies SQLite databases; for PostgreSQL use pg_dump (see docs/operations.md)")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s exists: a backup never overwrites a file; choose a new name", path)
	}
	if _, err := db.r.ExecContext(ctx, `VACUUM INTO $1`, path); err != nil {
		return fmt.Errorf("back up to %s: %w", path, err)
	}
	return nil
}

// TableSum is what Transfer and Checksums report of one table: its rows and
// a SHA-256 over them, read in primary-key order with every value in one
// engine-independent form, so the same data has the same sum on both
// engines.
type TableSum struct {
	Table string
	Rows  int64
	Sum   string
}

// pgColumn is one column of a table as PostgreSQL types it.
type pgColumn struct {
	name, typ string
	identity  bool
}

// table is one table of the schema, with the columns of its key.
type table struct {
	name string
	cols []pgColumn
	key  []string
}

// Transfer copies every row of src, a SQLite database, into dst, a
// PostgreSQL database of the same schema version that holds no rows yet,
// in one transaction: a failed transfer leaves dst empty. Rows keep their
// ids, events their seqs, tokens their hashes, so every credential works
// unchanged against dst. Tables are copied parents first (by the foreign
// keys PostgreSQL knows), and identity columns continue after the copied
// values. It then reads both databases back and returns each table's row
// count and checksum, failing when any differs.
func Transfer(ctx context.Context, src, dst *DB, progress func(table string, rows int64)) ([]TableSum, error) {
	if src.d.Name != "sqlite" || dst.d.Name != "postgres" {
		return nil, errors.New("migrate-store moves a SQLite database into PostgreSQL")
	}
	sv, err := schemaVersions(ctx, src.r.DB)
	if err != nil {
		return nil, fmt.Errorf("read the SQLite schema version: %w", err)
	}
	dv, err := schemaVersions(ctx, dst.w.DB)
	if err != nil {
		return nil, fmt.Errorf("read the PostgreSQL schema version: %w", err)
	}
	if !slices.Equal(sv, dv) {
		return nil, fmt.Errorf("the databases are at different schema versions (SQLite %v, PostgreSQL %v): run both with this roster binary first", sv, dv)
	}
	tables, err := pgTables(ctx, dst.w.DB)
	if err != nil {
		return nil, err
	}
	if err := sqliteHas(ctx, src.r.DB, tables); err != nil {
		return nil, err
	}
	for _, t := range tables {
		var nonEmpty bool
		if err := dst.w.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM `+quote(t.name)+`)`).Scan(&nonEmpty); err != nil {
			return nil, fmt.Errorf("check that %s is empty: %w", t.name, err)
		}
		if nonEmpty {
			return nil, fmt.Errorf("the PostgreSQL database is not empty (table %s has rows): migrate-store moves into an empty database only, so nothing there is overwritten or mixed", t.name)
		}
	}

	tx, err := dst.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit, a no-op
	for _, t := range tables {
		n, err := copyTable(ctx, src.r.DB, tx, t)
		if err != nil {
			return nil, fmt.Errorf("copy %s: %w", t.name, err)
		}
		for _, c := range t.cols {
			if c.identity {
				q := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence(%s, %s), COALESCE(MAX(%s), 1), MAX(%s) IS NOT NULL) FROM %s`,
					literal(t.name), literal(c.name), quote(c.name), quote(c.name), quote(t.name))
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return nil, fmt.Errorf("continue the identity of %s.%s: %w", t.name, c.name, err)
				}
			}
		}
		if progress != nil {
			progress(t.name, n)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit the copy: %w", err)
	}

	want, err := checksums(ctx, src.r.DB, tables)
	if err != nil {
		return nil, fmt.Errorf("checksum SQLite: %w", err)
	}
	got, err := checksums(ctx, dst.r.DB, tables)
	if err != nil {
		return nil, fmt.Errorf("checksum PostgreSQL: %w", err)
	}
	for i := range want {
		if want[i] != got[i] {
			return got, fmt.Errorf("table %s differs after the copy: SQLite has %d rows (sum %s), PostgreSQL %d (sum %s)",
				want[i].Table, want[i].Rows, want[i].Sum[:12], got[i].Rows, got[i].Sum[:12])
		}
	}
	return got, nil
}

// Checksums returns the row count and checksum of every table of db, in
// the form Transfer reports them, so two databases of either engine holding
// the same data give the same list.
func Checksums(ctx context.Context, db *DB) ([]TableSum, error) {
	var tables []table
	var err error
	if db.d.Name == "postgres" {
		tables, err = pgTables(ctx, db.r.DB)
	} else {
		tables, err = sqliteTables(ctx, db.r.DB)
	}
	if err != nil {
		return nil, err
	}
	slices.SortFunc(tables, func(a, b table) int { return strings.Compare(a.name, b.name) })
	return checksums(ctx, db.r.DB, tables)
}

// sqliteTables reads the tables of a SQLite database, with each column
// typed as PostgreSQL types its twin, so its checksums compare with
// PostgreSQL's.
func sqliteTables(ctx context.Context, db *sql.DB) ([]table, error) {
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("read the SQLite schema: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []table
	for _, n := range names {
		t := table{name: n}
		crows, err := db.QueryContext(ctx, `SELECT name, type, pk FROM pragma_table_info($1) ORDER BY cid`, n)
		if err != nil {
			return nil, err
		}
		type keyed struct {
			name string
			pos  int
		}
		var key []keyed
		for crows.Next() {
			var c pgColumn
			var pk int
			if err := crows.Scan(&c.name, &c.typ, &pk); err != nil {
				crows.Close()
				return nil, err
			}
			switch strings.ToUpper(c.typ) {
			case "DATETIME":
				c.typ = "timestamp with time zone"
			case "BOOLEAN":
				c.typ = "boolean"
			case "BLOB":
				c.typ = "bytea"
			case "INTEGER":
				c.typ = "bigint"
			default:
				c.typ = "text"
			}
			t.cols = append(t.cols, c)
			if pk > 0 {
				key = append(key, keyed{c.name, pk})
			}
		}
		crows.Close()
		slices.SortFunc(key, func(a, b keyed) int { return a.pos - b.pos })
		for _, k := range key {
			t.key = append(t.key, k.name)
		}
		if len(t.key) == 0 {
			for _, c := range t.cols {
				t.key = append(t.key, c.name)
			}
		}
		out = append(out, t)
	}
	return out, nil
}

func schemaVersions(ctx context.Context, db *sql.DB) ([]int, error) {
	rows, err := db.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// pgTables reads the tables of the current schema, parents before the
// tables whose foreign keys name them.
func pgTables(ctx context.Context, db *sql.DB) ([]table, error) {
	rows, err := db.QueryContext(ctx, `
		SELECT c.table_name, c.column_name, c.data_type, c.is_identity = 'YES'
		FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.table_name <> 'schema_migrations'
		ORDER BY c.table_name, c.ordinal_position`)
	if err != nil {
		return nil, fmt.Errorf("read the PostgreSQL schema: %w", err)
	}
	byName := map[string]*table{}
	var names []string
	for rows.Next() {
		var tn string
		var c pgColumn
		if err := rows.Scan(&tn, &c.name, &c.typ, &c.identity); err != nil {
			rows.Close()
			return nil, err
		}
		t := byName[tn]
		if t == nil {
			t = &table{name: tn}
			byName[tn] = t
			names = append(names, tn)
		}
		t.cols = append(t.cols, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	keys, err := db.QueryContext(ctx, `
		SELECT rel.relname, a.attname
		FROM pg_index i
		JOIN pg_class rel ON rel.oid = i.indrelid
		JOIN pg_namespace n ON n.oid = rel.relnamespace
		CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, pos)
		JOIN pg_attribute a ON a.attrelid = rel.oid AND a.attnum = k.attnum
		WHERE i.indisprimary AND n.nspname = current_schema()
		ORDER BY rel.relname, k.pos`)
	if err != nil {
		return nil, fmt.Errorf("read the primary keys: %w", err)
	}
	for keys.Next() {
		var tn, col string
		if err := keys.Scan(&tn, &col); err != nil {
			keys.Close()
			return nil, err
		}
		if t := byName[tn]; t != nil {
			t.key = append(t.key, col)
		}
	}
	keys.Close()
	if err := keys.Err(); err != nil {
		return nil, err
	}

	deps := map[string][]string{}
	fks, err := db.QueryContext(ctx, `
		SELECT child.relname, parent.relname
		FROM pg_constraint con
		JOIN pg_class child ON child.oid = con.conrelid
		JOIN pg_class parent ON parent.oid = con.confrelid
		JOIN pg_namespace n ON n.oid = con.connamespace
		WHERE con.contype = 'f' AND n.nspname = current_schema()`)
	if err != nil {
		return nil, fmt.Errorf("read the foreign keys: %w", err)
	}
	for fks.Next() {
		var child, parent string
		if err := fks.Scan(&child, &parent); err != nil {
			fks.Close()
			return nil, err
		}
		if child != parent {
			deps[child] = append(deps[child], parent)
		}
	}
	fks.Close()
	if err := fks.Err(); err != nil {
		return nil, err
	}

	// Depth-first: a table after every table it references.
	var out []table
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(string) error
	visit = func(n string) error {
		switch state[n] {
		case 1:
			return fmt.Errorf("the foreign keys of %s form a cycle; migrate-store cannot order it", n)
		case 2:
			return nil
		}
		state[n] = 1
		for _, p := range deps[n] {
			if byName[p] != nil {
				if err := visit(p); err != nil {
					return err
				}
			}
		}
		state[n] = 2
		t := byName[n]
		if len(t.key) == 0 {
			for _, c := range t.cols {
				t.key = append(t.key, c.name)
			}
		}
		out = append(out, *t)
		return nil
	}
	for _, n := range names {
		if err := visit(n); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sqliteHas checks that the SQLite database has the same tables and
// columns, so no data is left behind unseen.
func sqliteHas(ctx context.Context, db *sql.DB, tables []table) error {
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations'`)
	if err != nil {
		return fmt.Errorf("read the SQLite schema: %w", err)
	}
	have := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		have[n] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, t := range tables {
		if !have[t.name] {
			return fmt.Errorf("the SQLite database has no table %s", t.name)
		}
		delete(have, t.name)
		cols := map[string]bool{}
		crows, err := db.QueryContext(ctx, `SELECT name FROM pragma_table_info($1)`, t.name)
		if err != nil {
			return err
		}
		for crows.Next() {
			var n string
			if err := crows.Scan(&n); err != nil {
				crows.Close()
				return err
			}
			cols[n] = true
		}
		crows.Close()
		for _, c := range t.cols {
			if !cols[c.name] {
				return fmt.Errorf("the SQLite table %s has no column %s", t.name, c.name)
			}
			delete(cols, c.name)
		}
		for c := range cols {
			return fmt.Errorf("the SQLite table %s has a column %s PostgreSQL lacks; the schemas differ", t.name, c)
		}
	}
	for n := range have {
		return fmt.Errorf("the SQLite database has a table %s PostgreSQL lacks; the schemas differ", n)
	}
	return nil
}

// copyBatch is how many rows one INSERT carries: well under PostgreSQL's
// 65,535 parameters for the widest table.
const copyBatch = 500

func copyTable(ctx context.Context, src *sql.DB, tx *sql.Tx, t table) (int64, error) {
	names := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i] = quote(c.name)
	}
	list := strings.Join(names, ", ")
	rows, err := src.QueryContext(ctx, `SELECT `+list+` FROM `+quote(t.name))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	override := ""
	for _, c := range t.cols {
		if c.identity {
			override = " OVERRIDING SYSTEM VALUE"
		}
	}
	var n int64
	args := make([]any, 0, copyBatch*len(t.cols))
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		var b strings.Builder
		b.WriteString(`INSERT INTO ` + quote(t.name) + ` (` + list + `)` + override + ` VALUES `)
		for r := 0; r < len(args)/len(t.cols); r++ {
			if r > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for c := range t.cols {
				if c > 0 {
					b.WriteString(", ")
				}
				b.WriteString("$" + strconv.Itoa(r*len(t.cols)+c+1))
			}
			b.WriteByte(')')
		}
		_, err := tx.ExecContext(ctx, b.String(), args...)
		args = args[:0]
		return err
	}
	vals := make([]any, len(t.cols))
	ptrs := make([]any, len(t.cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		for i, c := range t.cols {
			v, err := pgValue(vals[i], c.typ)
			if err != nil {
				return n, fmt.Errorf("column %s: %w", c.name, err)
			}
			args = append(args, v)
		}
		n++
		if len(args) >= copyBatch*len(t.cols) {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	return n, flush()
}

// sqliteTimes are the forms SQLite holds times in: roster's own, and the
// driver's when it formats a time.Time itself.
var sqliteTimes = []string{"2006-01-02T15:04:05.000000Z", time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05"}

// pgValue converts a value read from SQLite into the one PostgreSQL's
// column type takes.
func pgValue(v any, typ string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch typ {
	case "boolean":
		switch b := v.(type) {
		case bool:
			return b, nil
		case int64:
			return b != 0, nil
		}
	case "timestamp with time zone":
		switch t := v.(type) {
		case time.Time:
			return t.UTC(), nil
		case string:
			for _, f := range sqliteTimes {
				if p, err := time.Parse(f, t); err == nil {
					return p.UTC(), nil
				}
			}
			return nil, fmt.Errorf("%q is not a time", t)
		}
	case "bytea":
		switch b := v.(type) {
		case []byte:
			return b, nil
		case string:
			return []byte(b), nil
		}
	case "bigint", "integer", "smallint":
		switch i := v.(type) {
		case int64:
			return i, nil
		case float64:
			if i == math.Trunc(i) {
				return int64(i), nil
			}
		}
	default: // text, jsonb
		switch s := v.(type) {
		case string:
			return s, nil
		case []byte:
			return string(s), nil
		case int64, float64:
			return fmt.Sprint(s), nil
		}
	}
	return nil, fmt.Errorf("cannot store a %T as %s", v, typ)
}

// checksums reads every table in key order and sums its rows in one form
// for both engines: each value is converted as for PostgreSQL, then
// written with its kind and length.
func checksums(ctx context.Context, db *sql.DB, tables []table) ([]TableSum, error) {
	out := make([]TableSum, 0, len(tables))
	for _, t := range tables {
		names := make([]string, len(t.cols))
		for i, c := range t.cols {
			names[i] = quote(c.name)
		}
		keys := make([]string, len(t.key))
		for i, k := range t.key {
			keys[i] = quote(k)
		}
		rows, err := db.QueryContext(ctx, `SELECT `+strings.Join(names, ", ")+` FROM `+quote(t.name)+` ORDER BY `+strings.Join(keys, ", "))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", t.name, err)
		}
		h := sha256.New()
		var n int64
		vals := make([]any, len(t.cols))
		ptrs := make([]any, len(t.cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		var buf []byte
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return nil, err
			}
			buf = buf[:0]
			for i, c := range t.cols {
				v, err := pgValue(vals[i], c.typ)
				if err != nil {
					rows.Close()
					return nil, fmt.Errorf("%s.%s: %w", t.name, c.name, err)
				}
				buf = appendCanonical(buf, v)
			}
			h.Write(buf)
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		out = append(out, TableSum{Table: t.name, Rows: n, Sum: hex.EncodeToString(h.Sum(nil))})
	}
	return out, nil
}

func appendCanonical(b []byte, v any) []byte {
	var s string
	kind := byte('s')
	switch x := v.(type) {
	case nil:
		return append(b, 'n')
	case bool:
		kind, s = 'b', strconv.FormatBool(x)
	case int64:
		kind, s = 'i', strconv.FormatInt(x, 10)
	case time.Time:
		kind, s = 't', x.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)
	case []byte:
		kind, s = 'x', string(x)
	case string:
		s = x
	default:
		s = fmt.Sprint(x)
	}
	b = append(b, kind)
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// quote quotes an identifier read from the catalog.
func quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// literal quotes a string literal read from the catalog.
func literal(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }
