package archive

import (
	"archive/zip"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"sealdesk/core/api"
	"sealdesk/core/csvcell"
	"sealdesk/core/sync"
)

var cst = time.FixedZone("CST", 8*3600)

// IndexName is the CSV index inside an export; it opens in Excel (UTF-8 with a BOM).
const IndexName = "索引.csv"

// safeName makes s usable as one path element of a ZIP entry on Windows and macOS.
func safeName(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`/\:*?"<>|`, r) {
			return '_'
		}
		return r
	}, strings.TrimSpace(s))
	s = strings.Trim(s, ". ")
	for utf8.RuneCountInString(s) > max {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	if s == "" {
		s = "_"
	}
	return s
}

// Export writes a folder as a ZIP to w: per contract a directory with its final PDFs and its
// 签署报告, and 索引.csv listing every contract (UTF-8 with a BOM). The caller must see the
// folder. Blobs are read after the listing's transaction; a missing blob fails the export (the
// caller writes to a temporary file and keeps nothing on failure).
func (s *Service) Export(ctx context.Context, eid, fid, actor string, w io.Writer) (api.ArchiveFolder, int, error) {
	var items []api.ArchiveItem
	var folder api.ArchiveFolder
	now := s.now()
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		items = nil
		v, err := s.viewer(tx, eid, actor)
		if err != nil {
			return err
		}
		if folder, err = getFolder(tx, eid, fid); err != nil {
			return err
		}
		if !v.sees(folder) {
			return forbidden(folder)
		}
		return tx.Scan(BucketItems, eid+"/", "", 0, func(_ string, val []byte) error {
			if !strings.HasPrefix(string(val[:min(len(val), len(fid)+1)]), fid+"\x00") {
				return nil
			}
			it, err := decodeItem(val)
			if err != nil {
				return err
			}
			it.Due = due(folder, it.Completed, now)
			items = append(items, it)
			return nil
		})
	})
	if err != nil {
		return folder, 0, err
	}
	if s.Exports != nil {
		release, err := s.Exports.Enter(ctx)
		if err != nil {
			return folder, 0, fmt.Errorf("archive export: %w", err)
		}
		defer release()
	}
	zw := zip.NewWriter(w)
	var rows [][]string
	used := map[string]bool{}
	for _, it := range items {
		if err := ctx.Err(); err != nil {
			return folder, 0, err
		}
		done := it.Completed.In(cst)
		short := it.EnvelopeID
		if len(short) > 12 {
			short = short[len(short)-8:]
		}
		dir := safeName(done.Format("2006-01-02")+"_"+it.Subject+"_"+short, 80)
		var names []string
		var sums []string
		for i, d := range it.Documents {
			name := safeName(strings.TrimSuffix(d.Name, path.Ext(d.Name)), 60) + ".pdf"
			for used[dir+"/"+name] {
				name = fmt.Sprintf("%d_%s", i+1, name)
			}
			used[dir+"/"+name] = true
			if err := s.copyBlob(ctx, zw, dir+"/"+name, d.SHA256, it.Completed); err != nil {
				return folder, 0, err
			}
			names, sums = append(names, dir+"/"+name), append(sums, d.SHA256)
		}
		amount, validUntil := "", ""
		if it.Amount > 0 {
			amount = fmt.Sprintf("%d.%02d", it.Amount/100, it.Amount%100) // a number a spreadsheet reads
		}
		if !it.ValidUntil.IsZero() {
			validUntil = it.ValidUntil.In(done.Location()).Format("2006-01-02")
		}
		report := ""
		if it.Report != "" {
			report = dir + "/签署报告.pdf"
			if err := s.copyBlob(ctx, zw, report, it.Report, it.Completed); err != nil {
				return folder, 0, err
			}
		}
		keep := "永久"
		if folder.RetentionYears > 0 {
			keep = done.AddDate(folder.RetentionYears, 0, 0).Format("2006-01-02")
			if it.Due {
				keep += "（已到期）"
			}
		}
		rows = append(rows, []string{it.EnvelopeID, it.Subject, it.SenderName, strings.Join(it.Counterparties, "；"),
			strings.Join(it.Signers, "；"), done.Format("2006-01-02 15:04:05"), keep, strings.Join(names, "；"), report, strings.Join(sums, "；"),
			amount, validUntil, map[bool]string{false: "发出", true: "收到"}[it.Received]})
	}
	iw, err := zw.CreateHeader(&zip.FileHeader{Name: IndexName, Method: zip.Deflate, Modified: now})
	if err != nil {
		return folder, 0, err
	}
	if _, err := io.WriteString(iw, "\ufeff"); err != nil {
		return folder, 0, err
	}
	cw := csv.NewWriter(iw)
	cw.UseCRLF = true
	cw.Write([]string{"合同编号", "主题", "发起人", "签约方", "签署人", "完成时间（北京时间）", "保存至", "文件", "签署报告", "文件 SHA-256", "合同金额（元）", "合同到期日", "收发"})
	for _, r := range rows {
		for i := range r {
			r[i] = csvcell.Safe(r[i])
		}
		cw.Write(r)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return folder, 0, err
	}
	return folder, len(items), zw.Close()
}

func (s *Service) copyBlob(ctx context.Context, zw *zip.Writer, name, sum string, mod time.Time) error {
	if s.Blobs == nil {
		return errors.New("archive has no blob store")
	}
	b, err := s.Blobs.Get(ctx, sum)
	if err != nil {
		return fmt.Errorf("failed to read %s (%s): %w", name, sum, err)
	}
	// PDFs are compressed already: stored, not deflated again.
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: mod})
	if err != nil {
		return err
	}
	_, err = fw.Write(b)
	return err
}
