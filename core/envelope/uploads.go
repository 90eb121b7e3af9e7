package envelope

import (
	"errors"
	"fmt"
	"net/http"

	"sealdesk/core/sync"
)

// BucketUploads holds each account's uploads of the current day (account id → uploadDay): what
// PutBlob counts against UploadBudget.
const BucketUploads = "envelope_uploads"

// UploadBudget bounds the new files one account uploads per day (Beijing time) with PutBlob.
// An upload is free until it is sent, and nothing deletes one that never is, so without a bound
// a newly registered account could fill the server's disk at the speed of its connection (red
// team s5: 40 MB in 1.5 s, without end). Files the account already uploaded do not count again.
type UploadBudget struct {
	Files int   // new files a day (0: DefaultUploadFiles; < 0: no bound)
	Bytes int64 // their bytes a day (0: DefaultUploadBytes; < 0: no bound)
}

// Default upload budget: 500 contracts of 2 MB a day, or a hundred of the largest.
const (
	DefaultUploadFiles = 1000
	DefaultUploadBytes = 1 << 30
)

type uploadDay struct {
	Day   string `json:"day"` // 2006-01-02, Beijing time
	Files int    `json:"files"`
	Bytes int64  `json:"bytes"`
}

func (b UploadBudget) limits() (int, int64) {
	files, bytes := b.Files, b.Bytes
	if files == 0 {
		files = DefaultUploadFiles
	}
	if bytes == 0 {
		bytes = DefaultUploadBytes
	}
	return files, bytes
}

// chargeUpload counts an upload of size bytes by account (sum: its SHA-256) against the day's
// budget inside tx, or refuses it (429 upload_quota, naming the limit). A file the account
// already owns costs nothing; charge false only checks.
func (s *Service) chargeUpload(tx sync.Tx, account, sum string, size int64, charge bool) error {
	files, bytes := s.Uploads.limits()
	if files < 0 && bytes < 0 {
		return nil
	}
	if _, err := tx.Get(BucketBlobOwners, account+"/"+sum); err == nil {
		return nil
	} else if !errors.Is(err, sync.ErrNotFound) {
		return err
	}
	day := s.now().In(cstZone).Format("2006-01-02")
	var u uploadDay
	if err := sync.GetJSON(tx, BucketUploads, account, &u); err != nil && !errors.Is(err, sync.ErrNotFound) {
		return err
	}
	if u.Day != day {
		u = uploadDay{Day: day}
	}
	if files >= 0 && u.Files+1 > files || bytes >= 0 && u.Bytes+size > bytes {
		return refuse(http.StatusTooManyRequests, "upload_quota", fmt.Sprintf(
			"今天上传的文件已达上限（每个账号每天最多 %d 个、共 %d MB），请明天再上传；已上传的文件可以照常发起签署", files, bytes>>20))
	}
	if !charge {
		return nil
	}
	u.Files++
	u.Bytes += size
	return sync.PutJSON(tx, BucketUploads, account, u)
}
