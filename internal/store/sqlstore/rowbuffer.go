package sqlstore

import (
	"context"
	"fmt"
	"strings"
)

// A rowBuffer holds the rows of INSERTs that the writes of an optimistic
// batch defer, so a batch of creates sends one statement per table instead
// of one per create and table. An organization's writes are committed by
// one committer at a time, and on PostgreSQL each statement is a round
// trip it waits for: those round trips, not CPU, bounded an initial sync.
//
// Order is kept where it matters: any other statement of the transaction
// first sends the rows waiting (tx.ExecContext and its siblings), so a
// write that reads sees every row the batch wrote before it. Tables are
// sent in the order of their first row, so a row always follows the rows
// it refers to (user_values after users).
//
// A deferred row that fails to insert (a duplicate userName, say) fails
// the whole batch, which then runs again with each write isolated and its
// statements sent as it makes them (tryIsolated), so every write gets its
// own error.
type rowBuffer struct {
	tables []*rowTable
	// err is the first failed send. A statement that cannot report it
	// (QueryRowContext) runs regardless, and the batch checks err before
	// it commits.
	err error
}

// rowTable is the rows waiting for one INSERT text.
type rowTable struct {
	insert string // "INSERT INTO t (a, b, c) VALUES "
	suffix string // what follows the rows, e.g. " ON CONFLICT DO NOTHING"
	width  int    // values per row
	args   []any  // the rows' values, row after row
}

// maxBufferedRows bounds the rows of one statement: a batch holds at most
// maxBatch writes, and a statement text per row count up to this keeps the
// prepared-statement cache small.
const maxBufferedRows = 64

// add queues one row of width len(row) for insert … suffix.
func (b *rowBuffer) add(insert, suffix string, row ...any) {
	for _, t := range b.tables {
		if t.insert == insert && t.suffix == suffix && t.width == len(row) {
			t.args = append(t.args, row...)
			return
		}
	}
	b.tables = append(b.tables, &rowTable{insert: insert, suffix: suffix, width: len(row), args: append([]any(nil), row...)})
}

// pending reports whether rows wait to be sent.
func (b *rowBuffer) pending() bool {
	return b != nil && len(b.tables) > 0
}

// send inserts the waiting rows with exec, in multi-row statements of at
// most maxBufferedRows rows, and empties the buffer. The first error is
// kept in b.err as well as returned.
func (b *rowBuffer) send(ctx context.Context, exec func(ctx context.Context, q string, args ...any) error) error {
	tables := b.tables
	b.tables = nil
	for _, t := range tables {
		for args := t.args; len(args) > 0; {
			n := min(len(args)/t.width, maxBufferedRows)
			if err := exec(ctx, rowsStatement(t.insert, t.suffix, t.width, n), args[:n*t.width]...); err != nil {
				if b.err == nil {
					b.err = err
				}
				return err
			}
			args = args[n*t.width:]
		}
	}
	return nil
}

// rowsStatement is insert followed by n rows of width numbered
// placeholders and suffix.
func rowsStatement(insert, suffix string, width, n int) string {
	var b strings.Builder
	b.Grow(len(insert) + len(suffix) + n*width*5)
	b.WriteString(insert)
	for r := 0; r < n; r++ {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := 0; c < width; c++ {
			if c > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "$%d", r*width+c+1)
		}
		b.WriteByte(')')
	}
	b.WriteString(suffix)
	return b.String()
}

// sendRows sends the rows the batch deferred before the transaction's
// next statement.
func (t *tx) sendRows(ctx context.Context) error { return t.send(ctx, t.rows) }

// send inserts b's rows in the transaction.
func (t *tx) send(ctx context.Context, b *rowBuffer) error {
	if !b.pending() {
		return nil
	}
	return b.send(ctx, func(ctx context.Context, q string, args ...any) error {
		_, err := t.execNow(ctx, q, args...)
		return err
	})
}
