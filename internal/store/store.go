// Package store defines Cognate's storage contract: the entities every part of
// the stack persists and the interfaces a backend implements. Backends live in
// subpackages (sqlite, postgres) and all pass the conformance suite in storetest.
//
// Contract rules shared by every method:
//   - Lookups, updates and deletes of a missing row return an error wrapping
//     ErrNotFound (UpdateKeys and UpdateLockout create theirs instead); so
//     does creating a row in a missing pool.
//   - Creating a row whose key exists returns an error wrapping ErrAlreadyExists.
//   - UpdateX(ctx, key, fn) reads the row, calls fn with a copy and writes what fn
//     returns, all in one transaction. fn may be called more than once (on a
//     serialization retry) and must not have side effects. If fn returns an
//     error, nothing is written and that error is returned unwrapped-compatible
//     (errors.Is works on it). The row's key fields and CreatedAt are kept
//     whatever fn returns.
//   - Writes are durable when the method returns nil. (The SQLite backend makes
//     an exception for sessions and lockout counters: they survive a process
//     crash but a power failure may drop the last ones; see package sqlite.)
//   - Times are stored with millisecond precision, in UTC.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Sentinel errors returned (wrapped) by every backend.
var (
	// ErrNotFound means the requested row does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrAlreadyExists means a row with the same key (or unique alias) exists.
	ErrAlreadyExists = errors.New("store: already exists")
)

// Store is the whole storage contract; consumers should depend on the piece they use.
type Store interface {
	Pools
	Clients
	Users
	Groups
	Sessions
	Revocations
	Keys
	Lockouts
	Deployments
	Items
	Usage
	Outbox
	Objects
	Passkeys
	// Name says which backend this is and where, for logs ("sqlite /data/cognate.db").
	Name() string
	// Close releases the backend's resources.
	Close() error
}

// Page bounds a listing: rows strictly after the key After, at most Limit rows
// (0 means the backend default of 60). Rows come back in key order.
type Page struct {
	After string
	Limit int
}

// Pool is a user pool. Config is the pool's settings as the userpool package
// encodes them; the store does not interpret it.
type Pool struct {
	ID        string
	Name      string
	Config    json.RawMessage
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Pools stores user pools. DeletePool removes the pool and everything in it
// (clients, users, groups, memberships, keys, lockouts).
type Pools interface {
	CreatePool(ctx context.Context, p Pool) error
	GetPool(ctx context.Context, id string) (Pool, error)
	ListPools(ctx context.Context, page Page) ([]Pool, error)
	UpdatePool(ctx context.Context, id string, fn func(Pool) (Pool, error)) (Pool, error)
	DeletePool(ctx context.Context, id string) error
}

// Client is an app client of a pool. Secret is the sealed client secret (nil
// when the client has none); Config is opaque to the store.
type Client struct {
	PoolID    string
	ID        string
	Name      string
	Secret    []byte
	Config    json.RawMessage
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Clients stores app clients; keys are (PoolID, ID) and client ids are also
// unique across pools so that GetClientByID can find a client's pool.
type Clients interface {
	CreateClient(ctx context.Context, c Client) error
	GetClient(ctx context.Context, poolID, id string) (Client, error)
	// GetClientByID finds a client by id alone (InitiateAuth names only the client).
	GetClientByID(ctx context.Context, id string) (Client, error)
	ListClients(ctx context.Context, poolID string, page Page) ([]Client, error)
	UpdateClient(ctx context.Context, poolID, id string, fn func(Client) (Client, error)) (Client, error)
	DeleteClient(ctx context.Context, poolID, id string) error
}

// Alias attributes that the store indexes for lookups with FindUsers.
const (
	AttrSub               = "sub"
	AttrEmail             = "email"
	AttrPhoneNumber       = "phone_number"
	AttrPreferredUsername = "preferred_username"
)

// User is a user of a pool. Username is the exact key (the userpool package
// normalises case when the pool is case-insensitive). Credentials holds the
// sealed password material and Private the service's own state (pending codes,
// sign-out epoch ...); the store treats both as opaque bytes.
type User struct {
	PoolID      string
	Username    string
	Status      string
	Enabled     bool
	Attributes  map[string]string
	Credentials []byte
	Private     json.RawMessage
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Users stores users. Indexed aliases (sub, email, phone_number,
// preferred_username) are matched case-insensitively by FindUsers.
type Users interface {
	CreateUser(ctx context.Context, u User) error
	// CreateUsers stores new users of one pool in one transaction (bulk
	// imports), skipping those whose username exists: created[i] says
	// whether users[i] was stored. A missing pool is ErrNotFound.
	CreateUsers(ctx context.Context, poolID string, users []User) (created []bool, err error)
	GetUser(ctx context.Context, poolID, username string) (User, error)
	// FindUsers returns the users whose attribute attr (one of the Attr*
	// constants) equals value, case-insensitively, in username order.
	FindUsers(ctx context.Context, poolID, attr, value string) ([]User, error)
	ListUsers(ctx context.Context, poolID string, page Page) ([]User, error)
	// CountUsers returns the pool's number of users from a counter that every
	// user insert and delete maintains in its own transaction: exact, and as
	// cheap at 1 M users as at 1 k.
	CountUsers(ctx context.Context, poolID string) (int, error)
	UpdateUser(ctx context.Context, poolID, username string, fn func(User) (User, error)) (User, error)
	// DeleteUser also removes the user's group memberships and refresh tokens.
	DeleteUser(ctx context.Context, poolID, username string) error
}

// Group is a group of users in a pool.
type Group struct {
	PoolID      string
	Name        string
	Description string
	RoleArn     string
	Precedence  *int32
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Groups stores groups and memberships. Adding an existing member or removing a
// non-member is not an error; either side missing is ErrNotFound.
type Groups interface {
	CreateGroup(ctx context.Context, g Group) error
	GetGroup(ctx context.Context, poolID, name string) (Group, error)
	ListGroups(ctx context.Context, poolID string, page Page) ([]Group, error)
	UpdateGroup(ctx context.Context, poolID, name string, fn func(Group) (Group, error)) (Group, error)
	// DeleteGroup also removes its memberships.
	DeleteGroup(ctx context.Context, poolID, name string) error
	AddUserToGroup(ctx context.Context, poolID, group, username string) error
	RemoveUserFromGroup(ctx context.Context, poolID, group, username string) error
	// ListGroupsForUser pages by group name.
	ListGroupsForUser(ctx context.Context, poolID, username string, page Page) ([]Group, error)
	// ListUsersInGroup pages by username.
	ListUsersInGroup(ctx context.Context, poolID, group string, page Page) ([]User, error)
}

// Session is short-lived, single-use server state: an SRP exchange's secret
// block, an auth challenge's session. Data is opaque (sealed by the caller).
type Session struct {
	ID        string
	PoolID    string
	Kind      string
	Data      []byte
	ExpiresAt time.Time
}

// Sessions stores single-use sessions.
type Sessions interface {
	PutSession(ctx context.Context, s Session) error
	// TakeSession atomically reads and deletes a session: of concurrent takes of
	// one id exactly one succeeds. Missing or expired (relative to now) is
	// ErrNotFound.
	TakeSession(ctx context.Context, id string, now time.Time) (Session, error)
	// DeleteExpiredSessions removes sessions that expired before now.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error)
}

// Revocation kinds.
const (
	// RevokeOrigin revokes every id and access token whose origin_jti is Value.
	RevokeOrigin = "origin_jti"
	// RevokeSubject revokes every token of subject (sub) Value issued at or before At.
	RevokeSubject = "sub"
)

// Revocation is one entry of the revocation feed that every node follows.
// Seq is assigned by the store, strictly increasing.
type Revocation struct {
	Seq       int64
	PoolID    string
	Kind      string
	Value     string
	At        time.Time
	ExpiresAt time.Time
}

// Revocations is the append-only revocation feed.
type Revocations interface {
	// AddRevocation appends r and returns its sequence number.
	AddRevocation(ctx context.Context, r Revocation) (int64, error)
	// RevocationsSince returns entries with Seq > seq in Seq order, at most limit.
	RevocationsSince(ctx context.Context, seq int64, limit int) ([]Revocation, error)
	// DeleteExpiredRevocations drops entries whose ExpiresAt is before now.
	DeleteExpiredRevocations(ctx context.Context, now time.Time) (int, error)
}

// Signing key uses.
const (
	KeyUseID     = "id"
	KeyUseAccess = "access"
)

// SigningKey is one RSA key of a pool. Private is the sealed PKCS#8 private key;
// Public the PKIX public key. A key with RetiredAt set no longer signs but stays
// published until ExpiresAt.
type SigningKey struct {
	Kid       string
	Use       string
	Private   []byte
	Public    []byte
	CreatedAt time.Time
	RetiredAt time.Time
	ExpiresAt time.Time
}

// Keys stores each pool's signing keys as one set, so that rotation is atomic:
// of two nodes rotating at once, one's fn sees the other's result.
type Keys interface {
	// GetKeys returns the pool's keys (empty, not an error, when none).
	GetKeys(ctx context.Context, poolID string) ([]SigningKey, error)
	// UpdateKeys replaces the pool's key set with what fn returns.
	UpdateKeys(ctx context.Context, poolID string, fn func([]SigningKey) ([]SigningKey, error)) ([]SigningKey, error)
}

// Lockout is the attempt counter of one key of a pool: failed logins, and
// (under their own keys) verification codes sent and wrong codes entered.
type Lockout struct {
	Failures    int
	LastFailure time.Time
	LockedUntil time.Time
}

// Lockouts stores attempt counters; keys need not name an existing user
// (unknown users are counted the same way, to avoid enumeration).
type Lockouts interface {
	// GetLockout returns a zero Lockout and ErrNotFound when the key has no failures.
	GetLockout(ctx context.Context, poolID, key string) (Lockout, error)
	// UpdateLockout is atomic under concurrency: N concurrent calls that each
	// add one failure leave Failures increased by exactly N, and a call whose
	// fn refuses (returns an error) when Failures reached a limit lets at
	// most that many calls through. A zero Lockout returned by fn deletes the row.
	UpdateLockout(ctx context.Context, poolID, key string, fn func(Lockout) (Lockout, error)) (Lockout, error)
	// DeleteLockout removes one counter (a success clears it); a missing one
	// is not an error.
	DeleteLockout(ctx context.Context, poolID, key string) error
	// DeleteStaleLockouts removes the counters whose LastFailure and
	// LockedUntil are both before before, and returns how many.
	DeleteStaleLockouts(ctx context.Context, before time.Time) (int, error)
}

// Deployment is an immutable snapshot of an API definition.
type Deployment struct {
	APIID     string
	ID        string
	Snapshot  json.RawMessage
	CreatedAt time.Time
}

// Stage points at a deployment of an API and holds stage variables.
type Stage struct {
	APIID        string
	Name         string
	DeploymentID string
	Variables    map[string]string
	// Settings are the stage's method settings as the gateway applies them
	// (opaque JSON; nil: none).
	Settings  []byte
	UpdatedAt time.Time
	// Version increases with every write of the stage, for change polling.
	Version int64
}

// Deployments stores API deployments and stages.
type Deployments interface {
	// PutDeployment stores d; storing an identical (APIID, ID) again is a no-op.
	PutDeployment(ctx context.Context, d Deployment) error
	GetDeployment(ctx context.Context, apiID, id string) (Deployment, error)
	// PutStage creates or replaces a stage, assigning it the next Version.
	PutStage(ctx context.Context, s Stage) (Stage, error)
	GetStage(ctx context.Context, apiID, name string) (Stage, error)
	// ListStages returns every stage of every API, ordered by (APIID, Name).
	ListStages(ctx context.Context) ([]Stage, error)
	DeleteStage(ctx context.Context, apiID, name string) error
}

// Item is a small document of a pool the store keeps by (Kind, Key): a
// domain, a resource server, an identity provider, a UI customization, a
// managed-login session. Key is unique within Kind across pools (a domain name
// is global), Data is opaque, and a non-zero ExpiresAt makes the item vanish
// after it. Items go with their pool when it is deleted.
type Item struct {
	Kind      string
	Key       string
	PoolID    string
	Data      []byte
	ExpiresAt time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Items stores pool documents that are not worth a table each.
type Items interface {
	// CreateItem stores a new item: ErrAlreadyExists when (Kind, Key) is
	// taken by an item live at it.CreatedAt (an expired one is replaced),
	// ErrNotFound when its pool does not exist.
	CreateItem(ctx context.Context, it Item) error
	// GetItem returns a live (unexpired relative to now) item.
	GetItem(ctx context.Context, kind, key string, now time.Time) (Item, error)
	// ListItems pages by Key through a pool's items of one kind (expired ones included).
	ListItems(ctx context.Context, kind, poolID string, page Page) ([]Item, error)
	// UpdateItem rewrites an item with what fn returns (Kind, Key, PoolID and CreatedAt are kept).
	UpdateItem(ctx context.Context, kind, key string, fn func(Item) (Item, error)) (Item, error)
	DeleteItem(ctx context.Context, kind, key string) error
	// DeleteExpiredItems removes items whose ExpiresAt is before now.
	DeleteExpiredItems(ctx context.Context, now time.Time) (int, error)
}

// UsageCount is how many requests one API key made under one usage plan in
// one period ("D2026-12-01" a day, "W2026-11-30" a week from that Monday,
// "M2026-12" a month).
type UsageCount struct {
	PlanID string
	KeyID  string
	Period string
	Count  int64
}

// Usage stores usage-plan counters, shared by every node so quotas hold
// across a cluster.
type Usage interface {
	// AddUsage adds n to the counter of (planID, keyID, period) unless the
	// sum would exceed limit (limit < 0: no limit) and returns the counter
	// after the call and whether n was added. It is atomic under
	// concurrency: N concurrent calls adding 1 under limit L add exactly
	// min(N, L) in total.
	AddUsage(ctx context.Context, planID, keyID, period string, n, limit int64) (count int64, added bool, err error)
	// ListUsage returns a plan's counters (one key's when keyID is set) with
	// from <= period <= to, ordered by (KeyID, Period).
	ListUsage(ctx context.Context, planID, keyID, from, to string) ([]UsageCount, error)
	// TakeToken takes one token from the shared token bucket key, which
	// holds at most burst tokens and refills at rate per second (a new
	// bucket starts full), and reports whether there was one. It is atomic
	// under concurrency: N concurrent takes from a full bucket of B tokens
	// succeed min(N, B) times. A clock that goes back refills nothing.
	TakeToken(ctx context.Context, key string, rate float64, burst int64, now time.Time) (bool, error)
}

// Object is a control-plane document: a REST API's definition, a
// function's configuration or code, an IAM role. Kind and Key name it; Data
// is opaque to the store.
type Object struct {
	Kind      string
	Key       string
	Data      []byte
	UpdatedAt time.Time
	// Version increases with every write of any object, for change polling.
	Version int64
}

// Objects stores control-plane documents by (Kind, Key).
type Objects interface {
	// CreateObject stores a new object (ErrAlreadyExists when the key is
	// taken) and returns it with its Version.
	CreateObject(ctx context.Context, o Object) (Object, error)
	// PutObject creates or replaces an object.
	PutObject(ctx context.Context, o Object) (Object, error)
	GetObject(ctx context.Context, kind, key string) (Object, error)
	// UpdateObject rewrites an object with what fn returns (Kind and Key kept).
	UpdateObject(ctx context.Context, kind, key string, fn func(Object) (Object, error)) (Object, error)
	// ListObjects pages through one kind's objects by key.
	ListObjects(ctx context.Context, kind string, page Page) ([]Object, error)
	DeleteObject(ctx context.Context, kind, key string) error
}

// Passkey is a user's WebAuthn credential. ID (the base64url credential
// id) is unique in the pool; Data is opaque to the store.
type Passkey struct {
	PoolID    string
	ID        string
	Username  string
	Data      []byte
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Passkeys stores users' passkeys. Creating one for a missing user returns
// ErrNotFound, one whose id the pool has returns ErrAlreadyExists; deleting
// the user (or pool) deletes its passkeys.
type Passkeys interface {
	CreatePasskey(ctx context.Context, k Passkey) error
	// ListPasskeys returns a user's passkeys, oldest first (none is not an error).
	ListPasskeys(ctx context.Context, poolID, username string) ([]Passkey, error)
	UpdatePasskey(ctx context.Context, poolID, id string, fn func(Passkey) (Passkey, error)) (Passkey, error)
	DeletePasskey(ctx context.Context, poolID, username, id string) error
}
