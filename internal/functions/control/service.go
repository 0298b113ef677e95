package control

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/internal/functions"
	"github.com/cognate-dev/cognate/internal/store"
)

// Runner is the part of the function runner the control plane drives.
type Runner interface {
	Apply(cfg functions.FunctionConfig, h functions.BuiltinHandler) (bool, error)
	Remove(name string) bool
	Functions() []functions.FunctionConfig
}

// Store is the part of store.Store the control plane uses.
type Store interface {
	CreateObject(ctx context.Context, o store.Object) (store.Object, error)
	PutObject(ctx context.Context, o store.Object) (store.Object, error)
	GetObject(ctx context.Context, kind, key string) (store.Object, error)
	UpdateObject(ctx context.Context, kind, key string, fn func(store.Object) (store.Object, error)) (store.Object, error)
	ListObjects(ctx context.Context, kind string, page store.Page) ([]store.Object, error)
	DeleteObject(ctx context.Context, kind, key string) error
}

// RoleChecker reports whether an IAM role exists (CreateFunction refuses
// roles that do not, as Lambda cannot assume them).
type RoleChecker interface {
	RoleExists(ctx context.Context, arn string) (bool, error)
}

// Options configure a Service.
type Options struct {
	Store  Store
	Runner Runner
	// Invoke serves POST .../invocations (the runner's Invoke API).
	Invoke http.Handler
	// CacheDir holds each node's unpacked packages, one directory per code
	// hash; it must be outside the paths function processes may not read.
	CacheDir  string
	Region    string
	AccountID string
	// CodeURL returns where GetFunction says the package can be downloaded.
	CodeURL func(name string) string
	// Roles, when set, makes CreateFunction check the execution role exists.
	Roles RoleChecker
	// SyncInterval is Run's polling period (default 1 s).
	SyncInterval time.Duration
	Now          func() time.Time
	Logger       *slog.Logger
}

// Service is the Lambda control plane of one node.
type Service struct {
	o   Options
	log *slog.Logger

	syncMu  sync.Mutex
	applied map[string]int64 // function name -> object version applied to the runner
	// recs are the applied functions (for Resolve and CheckInvoke), under
	// recsMu so that invocations never wait for a sync unpacking code.
	recsMu sync.RWMutex
	recs   map[string]record
	// versions are the runner keys (NAME:VERSION) of each function's published versions.
	versions map[string]map[string]bool
}

// New returns a Service; call Sync once at start and Run in the background.
func New(o Options) *Service {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.AccountID == "" {
		o.AccountID = "000000000000"
	}
	if o.SyncInterval <= 0 {
		o.SyncInterval = time.Second
	}
	return &Service{o: o, log: o.Logger, applied: map[string]int64{}, recs: map[string]record{}, versions: map[string]map[string]bool{}}
}

// Run applies functions changed by other nodes until ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.o.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Sync(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("function sync", "err", err)
			}
		}
	}
}

// Sync makes the runner match the stored functions: new or changed ones
// are unpacked and swapped in, deleted ones removed.
func (s *Service) Sync(ctx context.Context) error {
	objs, err := s.listAll(ctx)
	if err != nil {
		return err
	}
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	seen := map[string]bool{}
	var errs []error
	for _, o := range objs {
		seen[o.Key] = true
		if s.applied[o.Key] == o.Version {
			continue
		}
		if err := s.applyLocked(ctx, o); err != nil {
			errs = append(errs, err)
		}
	}
	for name := range s.applied {
		if !seen[name] {
			s.o.Runner.Remove(name)
			s.removeVersions(name)
			delete(s.applied, name)
		}
	}
	return errors.Join(errs...)
}

func (s *Service) listAll(ctx context.Context) ([]store.Object, error) {
	var out []store.Object
	page := store.Page{Limit: 500}
	for {
		objs, err := s.o.Store.ListObjects(ctx, kindFunction, page)
		if err != nil {
			return nil, fmt.Errorf("list functions: %w", err)
		}
		out = append(out, objs...)
		if len(objs) < page.Limit {
			return out, nil
		}
		page.After = objs[len(objs)-1].Key
	}
}

// apply swaps one stored function into the runner now (after a write on this node).
func (s *Service) apply(ctx context.Context, o store.Object) error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	return s.applyLocked(ctx, o)
}

func (s *Service) applyLocked(ctx context.Context, o store.Object) error {
	var rec record
	if err := json.Unmarshal(o.Data, &rec); err != nil {
		return fmt.Errorf("function %s: decode: %w", o.Key, err)
	}
	dir, err := s.ensureCode(ctx, rec.CodeSha256)
	if err != nil {
		return fmt.Errorf("function %s: %w", rec.Name, err)
	}
	cfg := functions.FunctionConfig{
		Name: rec.Name, Runtime: rec.Runtime, Handler: rec.Handler, Dir: dir,
		Environment: rec.Environment, Timeout: time.Duration(rec.Timeout) * time.Second, MemorySize: rec.MemorySize,
	}
	if rec.Concurrency != nil && *rec.Concurrency > 0 {
		cfg.ReservedConcurrency = *rec.Concurrency
	}
	if _, err := s.o.Runner.Apply(cfg, nil); err != nil {
		return fmt.Errorf("function %s: %w", rec.Name, err)
	}
	if err := s.applyVersions(ctx, rec); err != nil {
		return err
	}
	s.recsMu.Lock()
	s.recs[rec.Name] = rec
	s.recsMu.Unlock()
	s.applied[o.Key] = o.Version
	return nil
}

// remove drops a function from this node's runner (after DeleteFunction).
func (s *Service) remove(name string) {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	if _, ok := s.applied[name]; ok {
		s.o.Runner.Remove(name)
		s.removeVersions(name)
		delete(s.applied, name)
	}
}

// managed reports whether this service (not the config file) owns name on this node.
func (s *Service) managed(name string) bool {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	_, ok := s.applied[name]
	return ok
}

// ensureCode returns the cache directory of a package, unpacking it from
// the store on first use.
func (s *Service) ensureCode(ctx context.Context, sha string) (string, error) {
	if len(sha) != 64 {
		return "", fmt.Errorf("bad code hash %q", sha)
	}
	dir := filepath.Join(s.o.CacheDir, sha)
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	o, err := s.o.Store.GetObject(ctx, kindCode, sha)
	if err != nil {
		return "", fmt.Errorf("load code %s: %w", sha, err)
	}
	if sum := sha256.Sum256(o.Data); hex.EncodeToString(sum[:]) != sha {
		return "", fmt.Errorf("code %s: stored package does not match its hash", sha)
	}
	if err := os.MkdirAll(s.o.CacheDir, 0o755); err != nil {
		return "", fmt.Errorf("code cache: %w", err)
	}
	if err := unpack(o.Data, dir); err != nil {
		return "", fmt.Errorf("unpack code %s: %w", sha, err)
	}
	return dir, nil
}

// storeCode validates a package and stores it under its hash.
func (s *Service) storeCode(ctx context.Context, zip []byte) (string, int64, error) {
	if len(zip) > MaxZipSize {
		return "", 0, errRequestTooLarge
	}
	if err := checkZip(zip); err != nil {
		return "", 0, err
	}
	sum := sha256.Sum256(zip)
	sha := hex.EncodeToString(sum[:])
	if _, err := s.o.Store.GetObject(ctx, kindCode, sha); err == nil {
		return sha, int64(len(zip)), nil
	}
	if _, err := s.o.Store.PutObject(ctx, store.Object{Kind: kindCode, Key: sha, Data: zip, UpdatedAt: s.o.Now()}); err != nil {
		return "", 0, fmt.Errorf("store code: %w", err)
	}
	return sha, int64(len(zip)), nil
}

// codeSha256 is Lambda's CodeSha256: the package digest, base64.
func codeSha256(hexSum string) string {
	b, err := hex.DecodeString(hexSum)
	if err != nil {
		return ""
	}
	return base64.StdEncoding.EncodeToString(b)
}

// configFunctions are the runner's functions that the config file owns.
func (s *Service) configFunctions() map[string]functions.FunctionConfig {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	out := map[string]functions.FunctionConfig{}
	for _, f := range s.o.Runner.Functions() {
		if _, ok := s.applied[f.Name]; !ok {
			out[f.Name] = f
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
