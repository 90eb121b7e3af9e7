package ui

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"sealdesk/core/client"
	"sealdesk/core/keystore"
	"sealdesk/core/pdf"
	"sealdesk/core/seal"
	"sealdesk/core/sealkey"
	"sealdesk/core/sealkey/pkcs11key"
	"sealdesk/core/sign"
	"sealdesk/core/tsa"
	"sealdesk/core/update"
	"sealdesk/core/verify"
)

// errMessage turns an error from core into one sentence for the user, in the current language.
// Core errors stay lowercase English for logs; this is where people get words they understand.
func errMessage(err error) string {
	var wrong *keystore.WrongPINError
	var locked *keystore.LockedError
	var weak *keystore.PINError
	var apiErr *client.Error
	var tooLong *seal.TooLongError
	var glyphs *seal.MissingGlyphsError
	var drops *sign.DropsSignaturesError
	var refused *sign.ReplaceRefusedError
	var limit *pdf.LimitError
	var input *inputError
	var upd *update.Error
	if m := sessionErrText(err); m != "" {
		return m
	}
	switch {
	case err == nil:
		return ""
	case errors.As(err, &upd):
		return updateMessage(upd)
	case errors.As(err, &input):
		return input.msg // already a sentence naming the limit (发起签署's checks)
	case errors.As(err, &refused):
		return tr("err.sign.replacerefused", map[string]any{"Name": filepath.Base(refused.Path), "Kept": filepath.Base(refused.Kept), "Folder": filepath.Dir(refused.Kept)})
	case errors.As(err, &drops) && drops.Unreadable:
		return tr("err.sign.dropsigs.unreadable", map[string]any{"Name": filepath.Base(drops.Path)})
	case errors.As(err, &drops):
		return tr("err.sign.dropsigs", map[string]any{"Name": filepath.Base(drops.Path), "Held": drops.Held, "Missing": drops.Missing})
	case errors.As(err, &wrong):
		if wrong.Remaining == 0 {
			return tr("err.pin.nowlocked")
		}
		return tr("err.pin.wrong", map[string]any{"Left": wrong.Remaining})
	case errors.As(err, &locked):
		return tr("err.pin.locked", map[string]any{"Until": locked.Until.Local().Format(time.DateTime)})
	case errors.As(err, &weak):
		return tr("err.pin.rule." + weak.Reason)
	case errors.As(err, &apiErr) && apiErr.Message != "":
		// The server's messages are already sentences for people (in Chinese).
		return apiErr.Message
	case errors.Is(err, keystore.ErrNotHere):
		return tr("err.key.nothere")
	case errors.Is(err, sealkey.ErrPINIncorrect):
		return tr("err.ukey.pin")
	case errors.Is(err, sealkey.ErrPINLocked):
		return tr("err.ukey.locked")
	case errors.Is(err, sealkey.ErrTokenAbsent):
		return tr("err.ukey.absent")
	case errors.Is(err, sealkey.ErrTokenFailed):
		return tr("err.ukey.failed")
	case errors.Is(err, keystore.ErrNoTokens), errors.Is(err, pkcs11key.ErrNoCgo):
		return tr("err.ukey.unsupported")
	case errors.Is(err, keystore.ErrNotFound):
		return tr("err.key.none")
	case errors.Is(err, keystore.ErrCorrupt):
		return tr("err.key.corrupt")
	case errors.As(err, &tooLong):
		return tr("err.seal.toolong", map[string]any{"Field": fieldName(tooLong.Field), "Size": tooLong.Size.String(), "Max": tooLong.Max, "Len": tooLong.Len})
	case errors.As(err, &glyphs):
		return tr("err.seal.glyphs", map[string]any{"Field": fieldName(glyphs.Field), "Runes": string(glyphs.Runes)})
	case errors.Is(err, seal.ErrNoInk):
		return tr("err.seal.noink")
	case errors.Is(err, pdf.ErrEncrypted):
		return tr("err.pdf.encrypted")
	case errors.Is(err, errNotADocument):
		return tr("err.file.notpdf")
	case errors.Is(err, pdf.ErrNotPDF):
		return tr("err.pdf.notpdf")
	case errors.As(err, &limit):
		return limitMessage(limit)
	case errors.Is(err, verify.ErrTooLarge), errors.Is(err, pdf.ErrLimit):
		return tr("err.pdf.toolarge")
	case errors.Is(err, verify.ErrInternal):
		return tr("err.verify.internal")
	case errors.Is(err, pdf.ErrMalformed), errors.Is(err, verify.ErrUnreadable):
		return tr("err.pdf.corrupt")
	case errors.Is(err, sign.ErrCertifiedNoChanges):
		return tr("err.sign.certified")
	case errors.Is(err, sign.ErrCertifiedNewField):
		return tr("err.sign.certifiednewfield")
	case errors.Is(err, sign.ErrFieldNotEmpty):
		return tr("err.sign.fieldfull")
	case errors.Is(err, sign.ErrFieldExists):
		return tr("err.sign.fieldexists")
	case errors.Is(err, pdf.ErrUnsafeAppend):
		return tr("err.pdf.corrupt")
	case errors.Is(err, fs.ErrNotExist):
		return tr("err.file.missing")
	case errors.Is(err, fs.ErrPermission):
		return tr("err.file.permission")
	case errors.Is(err, errFileTooBig):
		return tr("err.file.toobig")
	case errors.Is(err, errNotAnImage):
		return tr("err.image.notimage")
	case errors.Is(err, errUploadTooBig):
		return tr("err.image.toobig")
	case errors.Is(err, seal.ErrBadSignature):
		return tr("err.seal.strokes")
	case errors.Is(err, errNoRenderer):
		return tr("err.renderer")
	case errors.Is(err, tsa.ErrBusy):
		return tr("err.tsa.busy")
	}
	return tr("err.other", map[string]any{"Detail": firstLine(err.Error())})
}

// fileErrMessage is errMessage for an error about the file at path: a file that starts like a
// PDF but cannot be read is called damaged rather than "not a PDF".
func fileErrMessage(path string, err error) string {
	if errors.Is(err, pdf.ErrNotPDF) && hasPDFHeader(path) {
		return tr("err.pdf.corrupt")
	}
	return errMessage(err)
}

// limitMessage names the budget a file exceeded (pdf.Limits, verify's file size) in words.
func limitMessage(le *pdf.LimitError) string {
	what := tr("limit." + le.Limit)
	if what == "limit."+le.Limit { // a limit without its own words
		what = le.Limit
	}
	max := strconv.FormatInt(le.Max, 10)
	switch le.Limit {
	case "MaxFileSize", "MaxObjectSize", "MaxObjectMemory", "MaxStreamSize", "MaxDecodedBytes":
		max = fmt.Sprintf("%.0f MB", float64(le.Max)/(1<<20))
	}
	return tr("err.pdf.limit", map[string]any{"Limit": what, "Max": max})
}

func hasPDFHeader(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 1024)
	n, _ := io.ReadFull(f, head)
	return bytes.Contains(head[:n], []byte("%PDF-"))
}

// Errors of the ui's own checks.
var (
	errFileTooBig   = errors.New("file is above the 10 MB limit for documents")
	errNotADocument = errors.New("file is not a pdf")
)

func fieldName(f string) string {
	switch f {
	case "name", "title", "code":
		return tr("seals.field." + f)
	}
	return f
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// changeSentences returns what changed after one signature, one sentence per change, in the
// current language, from core/verify's one table of change wording (the same words sealctl and
// the report PDF print): English shows the verifier's own sentences, Chinese each change's code
// worded in Chinese, with the English sentence for a code this build does not know.
func changeSentences(s verify.Signature) []string {
	return s.ChangeTexts(changeLanguage())
}

// changeSentence is one change in the current language.
func changeSentence(d verify.ChangeDetail) string {
	return d.Text(changeLanguage())
}

// changeLanguage is the core/verify language of the interface: English only when chosen, as
// SetLanguage treats anything else as Chinese.
func changeLanguage() string {
	if activeLanguage == LangEnglish {
		return LangEnglish
	}
	return LangChinese
}
