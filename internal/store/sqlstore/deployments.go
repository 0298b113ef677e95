package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cognate-dev/cognate/internal/store"
)

// PutDeployment stores an immutable deployment. Storing the same (APIID, ID)
// again with the same snapshot is a no-op; with a different snapshot it is
// ErrAlreadyExists.
func (s *Store) PutDeployment(ctx context.Context, d store.Deployment) error {
	res, err := s.execW(ctx, s.q("INSERT INTO deployments (api_id, id, snapshot, created_at) VALUES (?, ?, ?, ?) "+
		"ON CONFLICT (api_id, id) DO NOTHING"), d.APIID, d.ID, bytesOf(d.Snapshot), msOf(d.CreatedAt))
	if err != nil {
		return s.mapErr("put deployment", err)
	}
	n, err := affected(res)
	if err != nil {
		return fmt.Errorf("put deployment: %w", err)
	}
	if n > 0 {
		return nil
	}
	old, err := s.getDeployment(ctx, s.write, d.APIID, d.ID)
	if err != nil {
		return fmt.Errorf("put deployment: %w", err)
	}
	if !bytes.Equal(old.Snapshot, roundBytes(d.Snapshot)) {
		return fmt.Errorf("put deployment: different snapshot: %w", store.ErrAlreadyExists)
	}
	return nil
}

// GetDeployment returns one deployment.
func (s *Store) GetDeployment(ctx context.Context, apiID, id string) (store.Deployment, error) {
	return s.getDeployment(ctx, s.read, apiID, id)
}

func (s *Store) getDeployment(ctx context.Context, q queryer, apiID, id string) (store.Deployment, error) {
	var d store.Deployment
	err := q.QueryRowContext(ctx, s.q("SELECT api_id, id, snapshot, created_at FROM deployments WHERE api_id = ? AND id = ?"),
		apiID, id).Scan(&d.APIID, &d.ID, rawJSON(&d.Snapshot), ms(&d.CreatedAt))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Deployment{}, notFound("get deployment")
	}
	if err != nil {
		return store.Deployment{}, fmt.Errorf("get deployment: %w", err)
	}
	return d, nil
}

const stageCols = "api_id, name, deployment_id, variables, updated_at, version, settings"

func scanStage(r interface{ Scan(...any) error }) (store.Stage, error) {
	var st store.Stage
	err := r.Scan(&st.APIID, &st.Name, &st.DeploymentID, strMap(&st.Variables), ms(&st.UpdatedAt), &st.Version, &st.Settings)
	if len(st.Settings) == 0 {
		st.Settings = nil
	}
	return st, err
}

// PutStage creates or replaces a stage, giving it the next version.
func (s *Store) PutStage(ctx context.Context, st store.Stage) (store.Stage, error) {
	vars, err := mapOf(st.Variables)
	if err != nil {
		return store.Stage{}, fmt.Errorf("put stage: %w", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		v, err := s.next(ctx, tx, counterStage)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q("INSERT INTO stages ("+stageCols+") VALUES (?, ?, ?, ?, ?, ?, ?) "+
			"ON CONFLICT (api_id, name) DO UPDATE SET deployment_id = excluded.deployment_id, "+
			"variables = excluded.variables, updated_at = excluded.updated_at, version = excluded.version, settings = excluded.settings"),
			st.APIID, st.Name, st.DeploymentID, vars, msOf(st.UpdatedAt), v, bytesOf(st.Settings))
		if err != nil {
			return s.mapErr("put stage", err)
		}
		st.Version = v
		return nil
	})
	if err != nil {
		return store.Stage{}, err
	}
	st.Variables = roundMap(st.Variables)
	st.UpdatedAt = roundTime(st.UpdatedAt)
	return st, nil
}

// GetStage returns one stage.
func (s *Store) GetStage(ctx context.Context, apiID, name string) (store.Stage, error) {
	st, err := scanStage(s.reader.QueryRowContext(ctx,
		s.q("SELECT "+stageCols+" FROM stages WHERE api_id = ? AND name = ?"), apiID, name))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Stage{}, notFound("get stage")
	}
	if err != nil {
		return store.Stage{}, fmt.Errorf("get stage: %w", err)
	}
	return st, nil
}

// ListStages returns every stage, ordered by (APIID, Name).
func (s *Store) ListStages(ctx context.Context) ([]store.Stage, error) {
	rows, err := s.reader.QueryContext(ctx, s.q("SELECT "+stageCols+" FROM stages ORDER BY api_id, name"))
	if err != nil {
		return nil, fmt.Errorf("list stages: %w", err)
	}
	return collect(rows, "list stages", scanStage)
}

// DeleteStage removes a stage.
func (s *Store) DeleteStage(ctx context.Context, apiID, name string) error {
	return s.deleteOne(ctx, "delete stage", "DELETE FROM stages WHERE api_id = ? AND name = ?", apiID, name)
}
