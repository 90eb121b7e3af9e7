package archive

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/org"
	"sealdesk/core/sync"
)

func isNotFound(err error) bool { return errors.Is(err, sync.ErrNotFound) }

func newID(prefix string) string {
	var b [10]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// due reports whether an item is past its folder's retention period at now.
func due(f api.ArchiveFolder, completed, now time.Time) bool {
	return f.RetentionYears > 0 && !completed.AddDate(f.RetentionYears, 0, 0).After(now)
}

// Search returns a page of the contracts the caller may see, newest first, that match every
// field of q set. A folder the caller may not see is refused when named and skipped otherwise.
func (s *Service) Search(ctx context.Context, eid, actor string, q api.ArchiveQuery) (api.ArchiveResult, error) {
	out := api.ArchiveResult{Items: []api.ArchiveItem{}}
	if q.Limit <= 0 {
		q.Limit = DefaultLimit
	}
	if q.Limit > MaxLimit {
		return out, refuse(http.StatusBadRequest, "bad_limit", fmt.Sprintf("每页最多 %d 条", MaxLimit))
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From) {
		return out, refuse(http.StatusBadRequest, "bad_range", "结束日期须晚于开始日期")
	}
	now := s.now()
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		out.Items, out.Next = out.Items[:0], ""
		v, err := s.viewer(tx, eid, actor)
		if err != nil {
			return err
		}
		fs, err := folders(tx, eid)
		if err != nil {
			return err
		}
		visible := map[string]api.ArchiveFolder{}
		for _, f := range fs {
			if v.sees(f) {
				visible[f.ID] = f
			}
		}
		if len(fs) == 0 && v.all {
			visible[DefaultFolder] = api.ArchiveFolder{ID: DefaultFolder}
		}
		if q.Folder != "" {
			f, err := getFolder(tx, eid, q.Folder)
			if err != nil {
				return err
			}
			if !v.sees(f) {
				return forbidden(f)
			}
		}
		prefix := eid + "/"
		after := ""
		if q.After != "" {
			if !strings.HasPrefix(q.After, prefix) {
				return refuse(http.StatusBadRequest, "bad_cursor", "翻页参数无效")
			}
			after = q.After
		}
		if !q.To.IsZero() {
			// Keys sort newest first: what completed before To comes after every key of To.
			if k := prefix + invTime(q.To) + "/\xff"; k > after {
				after = k
			}
		}
		stop := ""
		if !q.From.IsZero() {
			stop = prefix + invTime(q.From) + "/\xff"
		}
		subj, cp, signer := lowerText(q.Subject), lowerText(q.Counterparty), lowerText(q.Signer)
		// The compact index, in chunks: a full page stops the scan, and no row is decoded.
		var keys []string
		more, done := false, false
		for cur := after; !more && !done; {
			n, last := 0, ""
			err := tx.Scan(BucketIndex, prefix, cur, scanChunk, func(k string, val []byte) error {
				n, last = n+1, k
				if stop != "" && k > stop {
					done = true
					return sync.ErrStopScan
				}
				fid, text, ok := bytes.Cut(val, []byte{0})
				if !ok {
					return nil
				}
				f, ok := visible[string(fid)]
				if !ok || (q.Folder != "" && f.ID != q.Folder) {
					return nil
				}
				parts := bytes.SplitN(text, []byte{0x1f}, 3)
				if len(parts) != 3 {
					return nil
				}
				for i, want := range [][]byte{subj, cp, signer} {
					if want != nil && !bytes.Contains(parts[i], want) {
						return nil
					}
				}
				if len(keys) == q.Limit {
					more = true
					return sync.ErrStopScan
				}
				keys = append(keys, k)
				return nil
			})
			if err != nil {
				return err
			}
			if n < scanChunk {
				done = true
			}
			cur = last
		}
		for _, k := range keys {
			val, err := tx.Get(BucketItems, k)
			if err != nil {
				return err
			}
			it, err := decodeItem(val)
			if err != nil {
				return err
			}
			it.Due = due(visible[it.FolderID], it.Completed, now)
			out.Items = append(out.Items, it)
		}
		if more {
			out.Next = keys[len(keys)-1]
		}
		return nil
	})
	return out, err
}

// scanChunk is how many index rows one Scan reads (the PostgreSQL store reads a Scan's rows
// before calling back, so a page that fills early should not pay for the whole enterprise).
const scanChunk = 2000

// lowerText is a query as the index holds it ("" : nil, no condition).
func lowerText(s string) []byte {
	if s = strings.TrimSpace(s); s == "" {
		return nil
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 }) {
		return []byte{0} // control characters are in no index line: nothing matches
	}
	return bytes.ToLower([]byte(s))
}

// indexLine is an item's line in BucketIndex: folder NUL subject US counterparties US signers
// (lower case; RS between names).
func indexLine(it api.ArchiveItem) []byte {
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == 0 || r == 0x1e || r == 0x1f {
				return ' '
			}
			return r
		}, s)
	}
	join := func(xs []string) string {
		out := make([]string, len(xs))
		for i, x := range xs {
			out[i] = clean(x)
		}
		return strings.Join(out, "\x1e")
	}
	return []byte(it.FolderID + "\x00" + strings.ToLower(clean(it.Subject)+"\x1f"+join(it.Counterparties)+"\x1f"+join(it.Signers)))
}

// --- retention --------------------------------------------------------------------------------------

// Sweep recounts, per folder, the contracts past the retention period and tells the enterprise
// (archive.retention_due, once per increase) — it flags, it never deletes (see the package doc).
// It returns how many contracts are due in all.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	now := s.now()
	// The enterprises with an archive: one key per enterprise's default folder.
	var eids []string
	if err := s.Store.View(ctx, func(tx sync.Tx) error {
		return tx.Scan(BucketFolders, "", "", 0, func(k string, _ []byte) error {
			if e, f, ok := strings.Cut(k, "/"); ok && f == DefaultFolder {
				eids = append(eids, e)
			}
			return nil
		})
	}); err != nil {
		return 0, err
	}
	total := 0
	for _, eid := range eids {
		sum := 0
		err := s.Store.Update(ctx, func(tx sync.Tx) error {
			sum = 0
			fs, err := folders(tx, eid)
			if err != nil {
				return err
			}
			byID := map[string]api.ArchiveFolder{}
			for _, f := range fs {
				byID[f.ID] = f
			}
			dueBy := map[string]int{}
			if err := tx.Scan(BucketItems, eid+"/", "", 0, func(_ string, val []byte) error {
				i := bytes.IndexByte(val, 0)
				if i < 0 {
					return nil
				}
				f := byID[string(val[:i])]
				if f.RetentionYears == 0 {
					return nil
				}
				var it struct {
					Completed time.Time `json:"completed"`
				}
				if err := json.Unmarshal(val[i+1:], &it); err != nil {
					return err
				}
				if due(f, it.Completed, now) {
					dueBy[f.ID]++
				}
				return nil
			}); err != nil {
				return err
			}
			for _, f := range fs {
				var c counts
				if err := sync.GetJSON(tx, BucketCounts, eid+"/"+f.ID, &c); err != nil && !isNotFound(err) {
					return err
				}
				n := dueBy[f.ID]
				sum += n
				if n == c.Due {
					continue
				}
				grew := n > c.Due
				c.Due = n
				if err := sync.PutJSON(tx, BucketCounts, eid+"/"+f.ID, c); err != nil {
					return err
				}
				if grew {
					b, _ := json.Marshal(map[string]any{"folder": f.ID, "name": f.Name, "due": n})
					if _, err := tx.Append(sync.Event{Scope: org.EnterpriseScope(eid), Type: EventDue, Time: now, Actor: "system", Payload: b}); err != nil {
						return err
					}
					if err := sync.Audit(tx, sync.AuditEntry{Time: now, Actor: "system", Action: EventDue, Target: eid, Detail: string(b)}); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += sum
	}
	return total, nil
}
