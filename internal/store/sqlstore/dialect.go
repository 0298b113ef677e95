package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// ErrorKind classifies a driver error for the shared code.
type ErrorKind int

// Error kinds a Dialect reports.
const (
	// KindOther is any error the shared code passes through as is.
	KindOther ErrorKind = iota
	// KindUnique is a primary-key or unique-constraint violation.
	KindUnique
	// KindForeignKey is a foreign-key violation (a referenced row is missing).
	KindForeignKey
	// KindRetry is a transient failure after which the whole transaction is
	// retried: a serialization failure, a deadlock, a busy database.
	KindRetry
)

// Dialect is what differs between SQL backends; everything else is shared.
type Dialect struct {
	// Name names the flavour in errors and logs ("sqlite", "postgres").
	Name string
	// NumberedParams rewrites the shared queries' ? placeholders to $1, $2 ...
	NumberedParams bool
	// ForUpdate is appended to the SELECT that opens a read-modify-write
	// transaction, to lock the row (" FOR UPDATE"), or "" where the
	// transaction already excludes other writers (SQLite's BEGIN IMMEDIATE).
	ForUpdate string
	// Types maps the neutral type names of the migrations ({key}, {blob},
	// {bool}) to this flavour's column types.
	Types map[string]string
	// Classify maps a driver error to its kind.
	Classify func(error) ErrorKind
	// LockMigrations, when set, serialises migrations across processes
	// (PostgreSQL's advisory lock). It is an optimisation only: the migration
	// record's primary key already makes concurrent migrators safe. It returns
	// the function that releases the lock.
	LockMigrations func(ctx context.Context, conn *sql.Conn) (unlock func(), err error)
	// Relax, when set, lowers the durability of conn for one write whose loss
	// on power failure is harmless (sessions, lockout counters) and returns the
	// function that restores full durability. If restore fails the connection
	// is discarded. Nil means every write is fully durable.
	Relax func(ctx context.Context, conn *sql.Conn) (restore func() error, err error)
	// Strict is Relax's converse for a backend whose write connections are
	// relaxed by default (SQLite at synchronous=NORMAL): it raises conn to
	// full durability for one write that is not relaxed and returns the
	// function that lowers it again. Relax and Strict are not both set.
	Strict func(ctx context.Context, conn *sql.Conn) (restore func() error, err error)
}

// kind classifies err, treating a nil Classify as "every error is other".
func (d *Dialect) kind(err error) ErrorKind {
	if err == nil || d.Classify == nil {
		return KindOther
	}
	return d.Classify(err)
}

// rebind rewrites the ? placeholders of query for this dialect. The shared
// queries never contain a literal question mark.
func (d *Dialect) rebind(query string) string {
	if !d.NumberedParams || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] != '?' {
			b.WriteByte(query[i])
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

// ddl expands the neutral type names of a migration.
func (d *Dialect) ddl(src string) string {
	pairs := make([]string, 0, 2*len(d.Types))
	for k, v := range d.Types {
		pairs = append(pairs, "{"+k+"}", v)
	}
	return strings.NewReplacer(pairs...).Replace(src)
}
