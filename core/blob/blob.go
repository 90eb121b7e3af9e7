// Package blob keeps documents content-addressed: a blob is named by the lower-case hex SHA-256
// of its bytes, so storing the same bytes twice keeps one copy, a name never changes meaning,
// and a reader checks what it gets against the name.
//
// Store is the interface the contract domain (core/envelope) uses. KV implements it over any
// core/sync.Store — so over bbolt and PostgreSQL alike, with no store changes — by cutting a
// blob into chunks of ChunkSize bytes (default 1 MiB, well under sync.MaxValueLen), all written
// in one transaction: a blob is either wholly there or absent, never half-written. An
// S3-compatible object store (or a file system) can implement Store later without changing its
// callers: the interface speaks only of names and bytes.
//
// # What it refuses
//
//   - Blobs larger than MaxSize (a *TooLargeError).
//   - Names that are not 64 lower-case hex digits (ErrBadName).
//   - Returning bytes whose digest is not their name: Get re-hashes and reports ErrCorrupt.
//
// It does not decide who may read a blob: callers keep that (core/envelope records which
// account uploaded which blob and which parties may read an envelope's documents).
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"sealdesk/core/sync"
)

// Errors of the package.
var (
	// ErrNotFound: no blob has that name.
	ErrNotFound = errors.New("blob not found")
	// ErrBadName: the name is not a lower-case hex SHA-256.
	ErrBadName = errors.New("blob name is not a lower-case hex sha-256")
	// ErrCorrupt: the stored bytes do not hash to their name.
	ErrCorrupt = errors.New("stored blob does not match its digest")
)

// TooLargeError is returned for a blob above the store's MaxSize.
type TooLargeError struct{ Max, Got int64 }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("blob of %d bytes is larger than the limit of %d", e.Got, e.Max)
}

// Info describes a stored blob.
type Info struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	Chunks int    `json:"chunks"`
}

// Store keeps blobs by content.
type Store interface {
	// Put stores data and returns its info; storing bytes already present does nothing more.
	Put(ctx context.Context, data []byte) (Info, error)
	// Get returns a blob's bytes, checked against its name.
	Get(ctx context.Context, name string) ([]byte, error)
	// Stat returns a blob's info, or ErrNotFound.
	Stat(ctx context.Context, name string) (Info, error)
}

// Sum returns the blob name of data.
func Sum(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// CheckName validates a blob name.
func CheckName(name string) error {
	if len(name) != 64 {
		return ErrBadName
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return ErrBadName
		}
	}
	return nil
}

// Buckets of KV.
const (
	BucketMeta   = "doc_blobs"
	BucketChunks = "doc_blob_chunks"
)

// Defaults of KV.
const (
	DefaultChunkSize = 1 << 20
	DefaultMaxSize   = 64 << 20
)

// KV stores blobs in a sync.Store, chunked.
type KV struct {
	Store     sync.Store
	ChunkSize int   // 0: DefaultChunkSize
	MaxSize   int64 // 0: DefaultMaxSize
}

var _ Store = (*KV)(nil)

func (k *KV) chunk() int {
	if k.ChunkSize > 0 && k.ChunkSize <= sync.MaxValueLen {
		return k.ChunkSize
	}
	return DefaultChunkSize
}

func (k *KV) max() int64 {
	if k.MaxSize > 0 {
		return k.MaxSize
	}
	return DefaultMaxSize
}

func chunkKey(name string, i int) string { return fmt.Sprintf("%s/%05d", name, i) }

// Put implements Store.
func (k *KV) Put(ctx context.Context, data []byte) (Info, error) {
	if int64(len(data)) > k.max() {
		return Info{}, &TooLargeError{Max: k.max(), Got: int64(len(data))}
	}
	name := Sum(data)
	if info, err := k.Stat(ctx, name); err == nil {
		return info, nil
	}
	size := k.chunk()
	info := Info{SHA256: name, Size: int64(len(data)), Chunks: (len(data) + size - 1) / size}
	err := k.Store.Update(ctx, func(tx sync.Tx) error {
		return PutTx(tx, info, data, size)
	})
	return info, err
}

// PutIn stores data inside tx, a transaction of k.Store (for callers that store a blob together
// with the records naming it, in one commit); present blobs are left as they are.
func (k *KV) PutIn(tx sync.Tx, data []byte) (Info, error) {
	if int64(len(data)) > k.max() {
		return Info{}, &TooLargeError{Max: k.max(), Got: int64(len(data))}
	}
	size := k.chunk()
	info := Info{SHA256: Sum(data), Size: int64(len(data)), Chunks: (len(data) + size - 1) / size}
	return info, PutTx(tx, info, data, size)
}

// PutTx writes a blob inside tx (for callers that store a blob together with the record naming
// it); info must come from the same data. Present blobs are left as they are.
func PutTx(tx sync.Tx, info Info, data []byte, chunkSize int) error {
	meta, err := json.Marshal(info)
	if err != nil {
		return err
	}
	if err := tx.Insert(BucketMeta, info.SHA256, meta); errors.Is(err, sync.ErrExists) {
		return nil
	} else if err != nil {
		return err
	}
	for i := 0; i < info.Chunks; i++ {
		end := min((i+1)*chunkSize, len(data))
		if err := tx.Put(BucketChunks, chunkKey(info.SHA256, i), data[i*chunkSize:end]); err != nil {
			return err
		}
	}
	return nil
}

// Stat implements Store.
func (k *KV) Stat(ctx context.Context, name string) (Info, error) {
	if err := CheckName(name); err != nil {
		return Info{}, err
	}
	var info Info
	err := k.Store.View(ctx, func(tx sync.Tx) error {
		err := sync.GetJSON(tx, BucketMeta, name, &info)
		if errors.Is(err, sync.ErrNotFound) {
			return ErrNotFound
		}
		return err
	})
	return info, err
}

// Get implements Store.
func (k *KV) Get(ctx context.Context, name string) ([]byte, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	var out []byte
	err := k.Store.View(ctx, func(tx sync.Tx) error {
		var info Info
		if err := sync.GetJSON(tx, BucketMeta, name, &info); errors.Is(err, sync.ErrNotFound) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		out = make([]byte, 0, info.Size)
		return tx.Scan(BucketChunks, name+"/", "", 0, func(_ string, v []byte) error {
			out = append(out, v...)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	if Sum(out) != name {
		return nil, fmt.Errorf("%s: %w", name, ErrCorrupt)
	}
	return out, nil
}
