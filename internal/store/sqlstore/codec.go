package sqlstore

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

// msOf encodes t as Unix milliseconds, or NULL for the zero time.
func msOf(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// fromMS decodes Unix milliseconds; 0 stays the zero time in key sets.
func fromMS(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// msTime scans a nullable Unix-millisecond column into a time.Time.
type msTime struct{ t *time.Time }

// Scan implements sql.Scanner.
func (m msTime) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*m.t = time.Time{}
	case int64:
		*m.t = time.UnixMilli(v).UTC()
	default:
		return fmt.Errorf("scan time: unexpected %T", v)
	}
	return nil
}

// ms scans into t.
func ms(t *time.Time) msTime { return msTime{t} }

// bytesOf stores an empty byte slice as NULL.
func bytesOf(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// optBytes scans a nullable blob, returning nil for NULL or empty.
type optBytes struct{ b *[]byte }

// Scan implements sql.Scanner.
func (o optBytes) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*o.b = nil
	case []byte:
		if len(v) == 0 {
			*o.b = nil
		} else {
			*o.b = append([]byte(nil), v...)
		}
	case string:
		if v == "" {
			*o.b = nil
		} else {
			*o.b = []byte(v)
		}
	default:
		return fmt.Errorf("scan bytes: unexpected %T", v)
	}
	return nil
}

// blob scans into a byte slice.
func blob(b *[]byte) optBytes { return optBytes{b} }

// rawJSON scans into a json.RawMessage.
func rawJSON(m *json.RawMessage) optBytes { return optBytes{(*[]byte)(m)} }

// mapOf encodes a string map as JSON text ("{}" when empty).
func mapOf(m map[string]string) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode map: %w", err)
	}
	return string(b), nil
}

// jsonMap scans JSON text into a non-nil string map.
type jsonMap struct{ m *map[string]string }

// Scan implements sql.Scanner.
func (j jsonMap) Scan(v any) error {
	var raw []byte
	switch v := v.(type) {
	case nil:
	case []byte:
		raw = v
	case string:
		raw = []byte(v)
	default:
		return fmt.Errorf("scan map: unexpected %T", v)
	}
	m := map[string]string{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			return fmt.Errorf("scan map: %w", err)
		}
		if m == nil {
			m = map[string]string{}
		}
	}
	*j.m = m
	return nil
}

// strMap scans into a string map.
func strMap(m *map[string]string) jsonMap { return jsonMap{m} }

// nullInt32 scans a nullable integer into a *int32.
type nullInt32 struct{ p **int32 }

// Scan implements sql.Scanner.
func (n nullInt32) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*n.p = nil
	case int64:
		x := int32(v)
		*n.p = &x
	default:
		return fmt.Errorf("scan int32: unexpected %T", v)
	}
	return nil
}

// int32Of encodes a *int32 as a nullable value.
func int32Of(p *int32) driver.Value {
	if p == nil {
		return nil
	}
	return int64(*p)
}

// roundTime returns t as the store gives it back: UTC, whole milliseconds.
func roundTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

// roundBytes returns b as the store gives it back (nil when empty).
func roundBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// roundMap returns m as the store gives it back (never nil).
func roundMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func roundPool(p store.Pool) store.Pool {
	p.Config = roundBytes(p.Config)
	p.CreatedAt, p.UpdatedAt = roundTime(p.CreatedAt), roundTime(p.UpdatedAt)
	return p
}

func roundClient(c store.Client) store.Client {
	c.Secret, c.Config = roundBytes(c.Secret), roundBytes(c.Config)
	c.CreatedAt, c.UpdatedAt = roundTime(c.CreatedAt), roundTime(c.UpdatedAt)
	return c
}

func roundUser(u store.User) store.User {
	u.Attributes = roundMap(u.Attributes)
	u.Credentials, u.Private = roundBytes(u.Credentials), roundBytes(u.Private)
	u.CreatedAt, u.UpdatedAt = roundTime(u.CreatedAt), roundTime(u.UpdatedAt)
	return u
}

func roundGroup(g store.Group) store.Group {
	g.CreatedAt, g.UpdatedAt = roundTime(g.CreatedAt), roundTime(g.UpdatedAt)
	return g
}

func roundLockout(l store.Lockout) store.Lockout {
	l.LastFailure, l.LockedUntil = roundTime(l.LastFailure), roundTime(l.LockedUntil)
	return l
}
