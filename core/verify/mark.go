package verify

import (
	"fmt"
	"strings"
)

// What a signature put on the page, for people: a handwritten signature, a seal, a 骑缝章 (a
// seal split across the page edges) or a date. SealDesk's desktop records it in the signature
// dictionary's /Reason (MarkReason), which every PDF viewer shows as the reason for signing, and
// names the fields it places r<recipient>-<box>-<n>; other producers' signatures have neither and
// their mark is unknown ("").
const (
	MarkSignature = "signature" // 签名
	MarkSeal      = "seal"      // 印章
	MarkCross     = "cross"     // 骑缝章
	MarkDate      = "date"      // 日期
)

// markReasons are the /Reason prefixes of each mark (the seal's or signature's name follows).
var markReasons = []struct{ mark, prefix string }{
	{MarkCross, "骑缝章："}, {MarkSeal, "盖章："}, {MarkSignature, "签名："}, {MarkDate, "签署日期"},
}

// fieldBoxes maps the box word of SealDesk's field names to marks.
func fieldBoxes(box string) string {
	switch box {
	case "sign":
		return MarkSignature
	case "seal":
		return MarkSeal
	case "cross":
		return MarkCross
	case "date":
		return MarkDate
	}
	return ""
}

// MarkReason is the /Reason the desktop writes for a mark: "盖章：合同专用章", "签名：张三签名",
// "骑缝章：合同专用章", "签署日期".
func MarkReason(mark, name string) string {
	for _, m := range markReasons {
		if m.mark == mark {
			if mark == MarkDate {
				return m.prefix
			}
			return m.prefix + name
		}
	}
	return name
}

// Mark says what the signature put on the page and its name (the seal's or the signature's, as
// the signer's library called it): from /Reason when the desktop wrote it, else from the field
// name; ("", "") when neither says.
func (s *Signature) Mark() (mark, name string) {
	for _, m := range markReasons {
		if strings.HasPrefix(s.Reason, m.prefix) {
			return m.mark, strings.TrimSpace(strings.TrimPrefix(s.Reason, m.prefix))
		}
	}
	_, box, ok := parseFieldName(s.Field)
	if ok {
		return fieldBoxes(box), ""
	}
	return "", ""
}

// Recipient is the signing party (签署方) number of a field SealDesk placed (r2-seal-1 → 2), or 0.
func (s *Signature) Recipient() int {
	r, _, _ := parseFieldName(s.Field)
	return r
}

// parseFieldName reads r<recipient>-<box>-<n>.
func parseFieldName(name string) (recipient int, box string, ok bool) {
	parts := strings.Split(name, "-")
	if len(parts) != 3 || fieldBoxes(parts[1]) == "" {
		return 0, "", false
	}
	var n int
	if _, err := fmt.Sscanf(parts[0]+" "+parts[2], "r%d %d", &recipient, &n); err != nil || recipient <= 0 || n <= 0 {
		return 0, "", false
	}
	if fmt.Sprintf("r%d-%s-%d", recipient, parts[1], n) != name {
		return 0, "", false
	}
	return recipient, parts[1], true
}

// RevisionText explains in words which version of the file a signature covers ("zh…" Chinese,
// otherwise English): the whole file, or version r of n and how many times it was saved since.
func (s *Signature) RevisionText(lang string) string {
	zh := isChinese(lang)
	if s.Seal != nil { // OFD: a signature covers the files it lists, not a version
		switch {
		case s.Seal.Type == "Integrity" && zh:
			return "只列出文件名，不覆盖任何文件的内容"
		case s.Seal.Type == "Integrity":
			return "lists file names only; covers no file's content"
		case zh:
			return fmt.Sprintf("签名覆盖文件包中它列出的 %d 个文件", s.Seal.References)
		}
		return fmt.Sprintf("the signature covers the %d files of the package it lists", s.Seal.References)
	}
	switch {
	case s.Revision <= 0:
		if zh {
			return "无法确定签名覆盖的是文件的哪个版本"
		}
		return "cannot tell which version of the file the signature covers"
	case s.Revision >= s.Revisions:
		if zh {
			return "签名覆盖整个文件（签名后没有再保存过）"
		}
		return "the signature covers the whole file (not saved again after signing)"
	}
	later := s.Revisions - s.Revision
	if zh {
		return fmt.Sprintf("签名覆盖文件的第 %d 个版本；签名后文件又保存过 %d 次（共 %d 个版本），之后的改动见“签名后的修改”", s.Revision, later, s.Revisions)
	}
	return fmt.Sprintf("the signature covers version %d of the file; it was saved %d more time(s) after signing (%d versions), see the changes after signing", s.Revision, later, s.Revisions)
}

// PlaceText says where the signature sits, for people: the page and the box's distance from the
// page's left and bottom edges and its size, in millimetres.
func (s *Signature) PlaceText(lang string) string {
	if s.Page <= 0 || len(s.Rect) != 4 {
		if isChinese(lang) {
			return "不可见（页面上没有签章图像）"
		}
		return "invisible (nothing shown on a page)"
	}
	mm := func(pt float64) int { return int(pt*25.4/72 + 0.5) }
	x, y := min(s.Rect[0], s.Rect[2]), min(s.Rect[1], s.Rect[3])
	w, h := max(s.Rect[0], s.Rect[2])-x, max(s.Rect[1], s.Rect[3])-y
	if isChinese(lang) {
		return fmt.Sprintf("第 %d 页，距左边 %d 毫米、距底边 %d 毫米，大小 %d × %d 毫米", s.Page, mm(x), mm(y), mm(w), mm(h))
	}
	return fmt.Sprintf("page %d, %d mm from the left and %d mm from the bottom edge, %d × %d mm", s.Page, mm(x), mm(y), mm(w), mm(h))
}
