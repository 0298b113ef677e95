package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"

	"modernc.org/sqlite"
)

// maxCachedStmts bounds the prepared statements one connection keeps. The
// store's queries are a fixed set of a few hundred texts; a query built at
// run time beyond the bound is prepared for its one use, as without a cache.
const maxCachedStmts = 512

// connector opens modernc SQLite connections that keep their prepared
// statements: database/sql would otherwise prepare (parse and plan) every
// statement anew on each call, which is most of a small query's cost.
type connector struct {
	inner driver.Connector
}

var _ driver.Connector = connector{}

// newConnector returns a caching connector for the modernc DSN.
func newConnector(dsn string) (connector, error) {
	inner, err := sqlite.NewConnector(dsn)
	if err != nil {
		return connector{}, err
	}
	return connector{inner: inner}, nil
}

// Connect opens one connection.
func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	inner, ok := conn.(sqliteConn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("sqlite: driver connection %T lacks the context methods", conn)
	}
	return &cachingConn{sqliteConn: inner, stmts: make(map[string]*cachedStmt)}, nil
}

// Driver returns the underlying driver.
func (c connector) Driver() driver.Driver { return c.inner.Driver() }

// sqliteConn is what cachingConn needs of a modernc connection.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// cachedStmt is one prepared statement and whether an open result set still
// reads from it (SQLite steps one statement handle at a time).
type cachedStmt struct {
	stmt driver.Stmt
	busy bool
}

// cachingConn is a connection that prepares each query text once. database/sql
// never uses one connection from two goroutines at once, so the map needs no
// lock; a statement whose rows are still open is not reused until they close.
type cachingConn struct {
	sqliteConn
	stmts map[string]*cachedStmt
}

var (
	_ driver.ExecerContext  = (*cachingConn)(nil)
	_ driver.QueryerContext = (*cachingConn)(nil)
)

// stmt returns the cached statement for query, preparing it on first use; nil
// means "run it uncached" (the cache is full or the statement is in use).
func (c *cachingConn) stmt(ctx context.Context, query string) (*cachedStmt, error) {
	if cs, ok := c.stmts[query]; ok {
		if cs.busy {
			return nil, nil
		}
		return cs, nil
	}
	if len(c.stmts) >= maxCachedStmts {
		return nil, nil
	}
	st, err := c.sqliteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	cs := &cachedStmt{stmt: st}
	c.stmts[query] = cs
	return cs, nil
}

// ExecContext runs a statement that returns no rows.
func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.sqliteConn.ExecContext(ctx, query, args)
	}
	return cs.stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

// QueryContext runs a statement that returns rows.
func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	rows, err := cs.stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	cs.busy = true
	return &cachedRows{Rows: rows, cs: cs}, nil
}

// Close finalizes the cached statements and closes the connection.
func (c *cachingConn) Close() error {
	var errs []error
	for q, cs := range c.stmts {
		errs = append(errs, cs.stmt.Close())
		delete(c.stmts, q)
	}
	return errors.Join(append(errs, c.sqliteConn.Close())...)
}

// cachedRows releases its statement for reuse when closed.
type cachedRows struct {
	driver.Rows
	cs *cachedStmt
}

// Close resets the statement (modernc keeps a prepared handle for reuse).
func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.cs.busy = false
	return err
}
