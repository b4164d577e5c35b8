package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/iamd/iamd/internal/storage"
)

func (t *txn) GetKeyRing(ctx context.Context) (*storage.KeyRing, error) {
	var gen int64
	var data string
	err := t.row(ctx, `SELECT generation, data FROM key_ring WHERE id = 1`).Scan(&gen, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return &storage.KeyRing{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("storage: key ring: %w", err)
	}
	r := &storage.KeyRing{Generation: gen}
	return r, unmarshal(data, &r.Keys)
}

func (t *txn) PutKeyRing(ctx context.Context, expectedGeneration int64, keys []storage.TokenKey) error {
	data, err := marshal(keys)
	if err != nil {
		return err
	}
	var n int64
	if expectedGeneration == 0 {
		n, err = t.exec(ctx, `INSERT INTO key_ring (id, generation, data) VALUES (1, 1, $1) ON CONFLICT DO NOTHING`, data)
	} else {
		n, err = t.exec(ctx, `UPDATE key_ring SET generation = $1, data = $2 WHERE id = 1 AND generation = $3`,
			expectedGeneration+1, data, expectedGeneration)
	}
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("key ring generation %d is stale: %w", expectedGeneration, storage.ErrConflict)
	}
	t.changed(storage.ChangeKeyRing, "", "")
	return nil
}
