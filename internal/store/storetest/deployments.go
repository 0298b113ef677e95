package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

func testDeployments(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	_, err := s.GetDeployment(ctx, "api1", "d1")
	wantErr(t, err, store.ErrNotFound, "missing deployment")
	in := store.Deployment{APIID: "api1", ID: "d1", Snapshot: json.RawMessage(`{"paths":{"/x":{}}}`), CreatedAt: t0}
	must(t, s.PutDeployment(ctx, in), "put deployment")
	got, err := s.GetDeployment(ctx, "api1", "d1")
	must(t, err, "get deployment")
	want := in
	want.CreatedAt = ms(t0)
	wantEqual(t, got, want, "deployment round trip")

	again := in
	again.CreatedAt = t0.Add(time.Hour)
	must(t, s.PutDeployment(ctx, again), "identical deployment again is a no-op")
	got, err = s.GetDeployment(ctx, "api1", "d1")
	must(t, err, "get after no-op")
	wantEqual(t, got, want, "no-op keeps the first write")

	changed := in
	changed.Snapshot = json.RawMessage(`{"paths":{}}`)
	wantErr(t, s.PutDeployment(ctx, changed), store.ErrAlreadyExists, "deployments are immutable")
	_, err = s.GetDeployment(ctx, "api2", "d1")
	wantErr(t, err, store.ErrNotFound, "deployments are per API")
}

func stageKey(st store.Stage) string { return st.APIID + "/" + st.Name }

func testStages(t *testing.T, s store.Store) {
	ctx := ctxOf(t)
	_, err := s.GetStage(ctx, "api1", "prod")
	wantErr(t, err, store.ErrNotFound, "missing stage")
	rows, err := s.ListStages(ctx)
	must(t, err, "list no stages")
	wantEqual(t, len(rows), 0, "no stages")

	in := store.Stage{APIID: "api1", Name: "prod", DeploymentID: "d1", Variables: map[string]string{"fn": "notes"}, UpdatedAt: t0,
		Settings: []byte(`{"methodSettings":{"*/*":{"cachingEnabled":true}}}`)}
	v1, err := s.PutStage(ctx, in)
	must(t, err, "put stage")
	if v1.Version <= 0 {
		t.Fatalf("first version %d, want > 0", v1.Version)
	}
	want := in
	want.UpdatedAt, want.Version = ms(t0), v1.Version
	wantEqual(t, v1, want, "put result")
	got, err := s.GetStage(ctx, "api1", "prod")
	must(t, err, "get stage")
	wantEqual(t, got, want, "stage round trip")

	in.DeploymentID, in.Variables, in.Settings = "d2", nil, nil
	v2, err := s.PutStage(ctx, in)
	must(t, err, "replace stage")
	if v2.Version <= v1.Version {
		t.Fatalf("version %d after %d: not increasing", v2.Version, v1.Version)
	}
	got, err = s.GetStage(ctx, "api1", "prod")
	must(t, err, "get replaced")
	wantEqual(t, got.DeploymentID, "d2", "replaced deployment")
	wantEqual(t, got.Variables, map[string]string{}, "nil variables come back empty")
	wantEqual(t, got.Settings, []byte(nil), "settings cleared")
	wantEqual(t, got.Version, v2.Version, "stored version")

	other, err := s.PutStage(ctx, store.Stage{APIID: "api0", Name: "dev", DeploymentID: "d9"})
	must(t, err, "put other stage")
	if other.Version <= v2.Version {
		t.Fatalf("version %d of another stage after %d: not increasing", other.Version, v2.Version)
	}
	_, err = s.PutStage(ctx, store.Stage{APIID: "api1", Name: "beta", DeploymentID: "d1"})
	must(t, err, "put beta")
	rows, err = s.ListStages(ctx)
	must(t, err, "list stages")
	wantEqual(t, names(rows, stageKey), []string{"api0/dev", "api1/beta", "api1/prod"}, "stages in (APIID, Name) order")

	must(t, s.DeleteStage(ctx, "api1", "prod"), "delete stage")
	_, err = s.GetStage(ctx, "api1", "prod")
	wantErr(t, err, store.ErrNotFound, "deleted stage")
	wantErr(t, s.DeleteStage(ctx, "api1", "prod"), store.ErrNotFound, "delete twice")
	v3, err := s.PutStage(ctx, in)
	must(t, err, "re-create stage")
	if v3.Version <= other.Version {
		t.Fatalf("re-created stage version %d not above %d", v3.Version, other.Version)
	}
}
