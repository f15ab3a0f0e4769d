package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// endBatch stores the rows a batch deferred and numbers and stores its
// events, updating each organization's counters.
//
// Where the engine has data-modifying WITH (Dialect.WritableCTE), a batch
// of one organization, the usual case since an organization's writes share
// a committer, ends with one statement instead of four (users, values,
// counter, events): its round trips were most of what an initial sync
// waited for on PostgreSQL. Each table's rows are passed as arrays, so the
// statement text is the same for every batch and stays prepared.
//
// When nothing of the batch was sent before its end (a lazily begun
// transaction not yet begun), that one statement runs on its own and is the
// whole transaction: committed reports it.
func (t *tx) endBatch(ctx context.Context, evs []stamped, deltas map[string]counts) (committed bool, err error) {
	if t.s.d.WritableCTE {
		query, alone := t.QueryRowContext, t.lazy != nil && t.lazy.tx == nil
		if alone {
			query = t.s.w.QueryRowContext
		}
		done, err := t.endBatchAtOnce(ctx, query, evs, deltas)
		if done || err != nil {
			return done && alone && err == nil, err
		}
	}
	if err := t.sendRows(ctx); err != nil {
		return false, err
	}
	if t.rows != nil && t.rows.err != nil {
		return false, t.rows.err
	}
	t.rows = nil
	return false, appendStamped(ctx, t, evs, deltas)
}

// batchEnd is endBatch's single statement: users, their values, the
// organization's counters and the events, numbered from the counter.
const batchEnd = `WITH u AS (
	INSERT INTO users (org_id, id, user_name, user_name_key, external_id, display_name, display_name_key,
		active, attributes, version, created_at, updated_at, manager_id)
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
		$8::boolean[], $9::text[], $10::bigint[], $11::timestamptz[], $12::timestamptz[], $13::text[])
), v AS (
	INSERT INTO user_values (org_id, user_id, attr, elem, sub, str, fold)
	SELECT * FROM unnest($14::text[], $15::text[], $16::text[], $17::bigint[], $18::text[], $19::text[], $20::text[])
	ON CONFLICT DO NOTHING
), o AS (
	UPDATE orgs SET event_seq = event_seq + $22, user_count = user_count + $23, group_count = group_count + $24
	WHERE id = $21 RETURNING event_seq
), e AS (
	INSERT INTO events (org_id, seq, type, actor_kind, actor_id, actor_name, subject_type, subject_id, data, created_at)
	SELECT $21, o.event_seq - $22 + x.n, x.type, x.actor_kind, x.actor_id, x.actor_name, x.subject_type, x.subject_id, x.data, $32
	FROM o, unnest($25::text[], $26::text[], $27::text[], $28::text[], $29::text[], $30::text[], $31::text[])
		WITH ORDINALITY AS x(type, actor_kind, actor_id, actor_name, subject_type, subject_id, data, n)
)
SELECT event_seq FROM o`

// The column types of the deferred rows batchEnd takes, in order.
var (
	userColumnTypes  = []columnType{text, text, text, text, text, text, text, boolean, text, integer, timestamp, timestamp, text}
	valueColumnTypes = []columnType{text, text, text, integer, text, text, text}
)

// endBatchAtOnce runs batchEnd when the batch fits it: one organization,
// and no deferred rows but users and their values. done is false when it
// does not fit and nothing was sent.
func (t *tx) endBatchAtOnce(ctx context.Context, query func(ctx context.Context, q string, args ...any) *sql.Row, evs []stamped, deltas map[string]counts) (done bool, err error) {
	rows := t.rows
	orgID := ""
	for _, e := range evs {
		if orgID != "" && e.orgID != orgID {
			return false, nil
		}
		orgID = e.orgID
	}
	for id, d := range deltas {
		if d == (counts{}) {
			continue
		}
		if orgID != "" && id != orgID {
			return false, nil
		}
		orgID = id
	}
	if orgID == "" {
		return false, nil // nothing to number: the general path has nothing to do either
	}
	var users, values *rowTable
	if rows != nil {
		for _, tb := range rows.tables {
			switch {
			case tb.insert == insertUser && tb.suffix == "" && tb.width == len(userColumnTypes):
				users = tb
			case tb.insert == insertValue && tb.suffix == onConflictKeepFirst && tb.width == len(valueColumnTypes):
				values = tb
			default:
				return false, nil
			}
		}
		if rows.err != nil {
			return true, rows.err
		}
	}
	args := make([]any, 0, 32)
	for _, tc := range []struct {
		tb    *rowTable
		types []columnType
	}{{users, userColumnTypes}, {values, valueColumnTypes}} {
		cols, err := columns(tc.tb, tc.types)
		if err != nil {
			// A bug, not the client's doing; the isolated rerun still
			// stores the writes, statement by statement.
			return true, err
		}
		args = append(args, cols...)
	}
	d := deltas[orgID]
	args = append(args, orgID, len(evs), d.users, d.groups)
	evCols := make([][]*string, 7)
	for _, e := range evs {
		var data *string
		if e.data != nil {
			j, err := json.Marshal(e.data)
			if err != nil {
				return true, fmt.Errorf("encode event %s: %w", e.typ, err)
			}
			s := string(j)
			data = &s
		}
		for i, v := range []string{e.typ, e.actor.Kind, e.actor.ID, e.actor.Name, e.subjectType, e.subjectID} {
			evCols[i] = append(evCols[i], &v)
		}
		evCols[6] = append(evCols[6], data)
	}
	for _, c := range evCols {
		args = append(args, nonNil(c))
	}
	args = append(args, t.s.t(t.now))
	if rows != nil {
		rows.tables = nil
	}
	var last int64
	err = query(ctx, batchEnd, args...).Scan(&last)
	if errors.Is(err, sql.ErrNoRows) {
		return true, fmt.Errorf("organization %s: %w", orgID, store.ErrNotFound)
	}
	if err != nil {
		return true, fmt.Errorf("end batch: %w", err)
	}
	return true, nil
}

// columnType is the SQL type of a column batchEnd passes as an array.
type columnType int

const (
	text columnType = iota
	boolean
	integer
	timestamp
)

// columns turns a table's row-major values into one array per column, of
// the Go type the driver sends as that column's array (nil values become
// NULL text elements). A nil table gives empty arrays. A value of another
// Go type than its column's is an error, never a silent zero.
func columns(tb *rowTable, types []columnType) ([]any, error) {
	n := 0
	if tb != nil {
		n = len(tb.args) / tb.width
	}
	out := make([]any, len(types))
	for c, ty := range types {
		var ok bool
		switch ty {
		case text:
			out[c], ok = convertColumn(tb, c, n, func(v any) (*string, bool) {
				if v == nil {
					return nil, true
				}
				s, ok := v.(string)
				return &s, ok
			})
		case boolean:
			out[c], ok = convertColumn(tb, c, n, func(v any) (bool, bool) { b, ok := v.(bool); return b, ok })
		case integer:
			out[c], ok = convertColumn(tb, c, n, func(v any) (int64, bool) {
				switch v := v.(type) {
				case int:
					return int64(v), true
				case int64:
					return v, true
				}
				return 0, false
			})
		case timestamp:
			out[c], ok = convertColumn(tb, c, n, func(v any) (time.Time, bool) { t, ok := v.(time.Time); return t, ok })
		}
		if !ok {
			return nil, fmt.Errorf("deferred %q: column %d holds a value of the wrong type", tb.insert, c)
		}
	}
	return out, nil
}

// convertColumn is column c of tb's n rows, each value converted by conv; false
// when a value does not convert.
func convertColumn[T any](tb *rowTable, c, n int, conv func(any) (T, bool)) ([]T, bool) {
	col := make([]T, n)
	for r := range col {
		v, ok := conv(tb.args[r*tb.width+c])
		if !ok {
			return nil, false
		}
		col[r] = v
	}
	return col, true
}

// nonNil returns c, or an empty slice for a nil one, so the driver sends an
// empty array rather than NULL.
func nonNil(c []*string) []*string {
	if c == nil {
		return []*string{}
	}
	return c
}
