package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// maxPrepared bounds the statements kept prepared per pool. Statement
// texts are constants or built from a filter's shape (never its values),
// so real traffic uses far fewer; past the bound, new texts simply run
// unprepared. Nothing is ever evicted, so a statement in use is never
// closed under a caller.
const maxPrepared = 1000

// pool is a connection pool whose queries reuse prepared statements: the
// SQLite driver would otherwise parse each statement on every call, a
// quarter of the cost of a SCIM write.
type pool struct {
	*sql.DB
	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
	// wanted are texts first seen inside a transaction, prepared once it
	// ends (see tx.ExecContext).
	wanted map[string]bool
}

func newPool(db *sql.DB) *pool {
	return &pool{DB: db, stmts: map[string]*sql.Stmt{}, wanted: map[string]bool{}}
}

// stmt returns the prepared statement for q, preparing it once; nil when
// the cache is full or preparing failed (the caller then runs q directly,
// which reports any error). It must not be called inside a transaction of
// this pool: preparing takes a connection.
func (p *pool) stmt(ctx context.Context, q string) *sql.Stmt {
	p.mu.RLock()
	st, ok := p.stmts[q]
	full := len(p.stmts) >= maxPrepared
	p.mu.RUnlock()
	if ok || full {
		return st
	}
	// Prepare without holding the lock: preparing takes a connection, and
	// goroutines holding connections may be waiting for the lock.
	st, err := p.DB.PrepareContext(ctx, q)
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.wanted, q)
	if err != nil {
		return nil
	}
	if prev, ok := p.stmts[q]; ok {
		st.Close() // another goroutine prepared it meanwhile
		return prev
	}
	if len(p.stmts) >= maxPrepared {
		st.Close()
		return nil
	}
	p.stmts[q] = st
	return st
}

// cached returns q's prepared statement if there is one, and otherwise
// notes q to be prepared by prepareWanted.
func (p *pool) cached(q string) *sql.Stmt {
	p.mu.RLock()
	st, ok := p.stmts[q]
	want := p.wanted[q]
	p.mu.RUnlock()
	if ok || want {
		return st
	}
	p.mu.Lock()
	if len(p.stmts) < maxPrepared && len(p.wanted) < maxPrepared {
		p.wanted[q] = true
	}
	p.mu.Unlock()
	return nil
}

// prepareWanted prepares the texts noted inside transactions. It runs after
// a transaction ends, never inside one.
func (p *pool) prepareWanted(ctx context.Context) {
	p.mu.RLock()
	n := len(p.wanted)
	p.mu.RUnlock()
	if n == 0 {
		return
	}
	p.mu.Lock()
	qs := make([]string, 0, len(p.wanted))
	for q := range p.wanted {
		qs = append(qs, q)
	}
	p.mu.Unlock()
	for _, q := range qs {
		p.stmt(ctx, q)
	}
}

// ExecContext runs q with a prepared statement.
func (p *pool) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := p.stmt(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return p.DB.ExecContext(ctx, q, args...)
}

// QueryContext runs q with a prepared statement.
func (p *pool) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := p.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return p.DB.QueryContext(ctx, q, args...)
}

// QueryRowContext runs q with a prepared statement.
func (p *pool) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := p.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return p.DB.QueryRowContext(ctx, q, args...)
}

// closeStmts closes the prepared statements.
func (p *pool) closeStmts() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for q, st := range p.stmts {
		st.Close()
		delete(p.stmts, q)
	}
}

// The transaction's statements come from the writer's cache, and
// Tx.StmtContext reuses the connection's prepared statement. A text not yet
// prepared runs unprepared this once: preparing it now would need a second
// connection while the transaction holds one.

// ExecContext runs q in the transaction with a prepared statement, after
// the rows the batch deferred.
func (t *tx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if err := t.sendRows(ctx); err != nil {
		return nil, err
	}
	return t.execNow(ctx, q, args...)
}

// execNow runs q in the transaction with a prepared statement.
func (t *tx) execNow(ctx context.Context, q string, args ...any) (sql.Result, error) {
	sqlTx, err := t.sqlTx()
	if err != nil {
		return nil, err
	}
	if st := t.s.w.cached(q); st != nil {
		return sqlTx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return sqlTx.ExecContext(ctx, q, args...)
}

// QueryContext runs q in the transaction with a prepared statement, after
// the rows the batch deferred.
func (t *tx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if err := t.sendRows(ctx); err != nil {
		return nil, err
	}
	sqlTx, err := t.sqlTx()
	if err != nil {
		return nil, err
	}
	if st := t.s.w.cached(q); st != nil {
		return sqlTx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return sqlTx.QueryContext(ctx, q, args...)
}

// QueryRowContext runs q in the transaction with a prepared statement, after
// the rows the batch deferred. A *sql.Row cannot carry their error: it stays
// in the buffer, and the batch fails before it commits.
func (t *tx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	t.sendRows(ctx) //nolint:errcheck // kept in t.rows.err, checked by tryBatch
	sqlTx, err := t.sqlTx()
	if err != nil {
		// The transaction could not begin. A *sql.Row cannot be made to
		// carry that error, so this one carries a cancelled context's;
		// tryBatch reports the begin error itself (lazyTx.err).
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		return t.s.w.DB.QueryRowContext(cancelled, q, args...)
	}
	if st := t.s.w.cached(q); st != nil {
		return sqlTx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return sqlTx.QueryRowContext(ctx, q, args...)
}

// sqlTx returns the database transaction, beginning a batch's lazily
// begun one at its first statement.
func (t *tx) sqlTx() (*sql.Tx, error) {
	if t.Tx == nil && t.lazy != nil {
		sqlTx, err := t.lazy.begin()
		if err != nil {
			return nil, err
		}
		t.Tx = sqlTx
	}
	if t.Tx == nil {
		return nil, errors.New("write outside a transaction")
	}
	return t.Tx, nil
}

// A lazyTx is the transaction of an optimistic batch, begun by its first
// statement. A batch whose writes only defer rows sends nothing before its
// end, and on PostgreSQL that end is one statement (endBatch), which then
// runs on its own, without BEGIN and COMMIT: two round trips fewer for
// every batch of creates.
type lazyTx struct {
	w   *pool
	tx  *sql.Tx
	err error // why begin failed; the batch fails with it
}

func (l *lazyTx) begin() (*sql.Tx, error) {
	if l.tx == nil && l.err == nil {
		// Statements of a batch never run with a caller's context (see
		// committer).
		l.tx, l.err = l.w.BeginTx(context.Background(), nil)
	}
	return l.tx, l.err
}

// rollback ends a transaction that was begun and not committed.
func (l *lazyTx) rollback() {
	if l.tx != nil {
		l.tx.Rollback() //nolint:errcheck // no-op after Commit
	}
}
