package verify

import (
	"strconv"
	"strings"
)

// ChangeDetail is the machine form of one entry of Signature.Changes: a stable code, where the
// change is, and the English sentence it belongs to. Codes never change meaning; new kinds of
// change get new codes. Text(lang) says the change in Chinese or English from changeTexts, the
// one table of change wording that sealctl, the report PDF and the desktop all use.
type ChangeDetail struct {
	Code    string // one of the Change… constants
	Allowed bool   // the change is permitted after this signature
	Object  int    // object number, when the change names one (0 otherwise)
	Page    int    // 1-based page number, when the change is on a known page (0 otherwise)
	Field   string // form or signature field name, when the change names one
	Key     string // dictionary key or annotation subtype, when the change names one
	// Value is a filled field's new value as its readers show it (fieldValueText: one line, at
	// most 40 characters, cut with "…"), when the change names one.
	Value string
	// Regions are the rectangles of signed content a change covers (ChangeCoversContent), for
	// highlighting.
	Regions []Region
	// Sentence is the English sentence, as in Signature.Changes (more detailed than the
	// English template: revision numbers, offsets, old and new values).
	Sentence string
}

// Change codes.
const (
	ChangeSignature                 = "signature-added"               // a signature filled an empty signature field
	ChangeSignatureNotPermitted     = "signature-added-not-permitted" // … although the certification allows no changes
	ChangeSignatureReplaced         = "signature-replaced"            // a signed field now points to another signature
	ChangeSignatureDict             = "signature-dict-changed"        // a signature dictionary was rewritten
	ChangeTimestamp                 = "timestamp-added"               // a document timestamp was added
	ChangeTimestampField            = "timestamp-field-added"         // an invisible document timestamp field was added
	ChangeSigField                  = "signature-field-added"         // an (empty or invisible) signature field was added
	ChangeSigFieldNotPermitted      = "signature-field-not-permitted" // … although the certification allows no changes
	ChangeSigFieldTrusted           = "signature-field-trusted"       // a visible signature field signed by a trusted signer or the certifier
	ChangeSneakySignature           = "sneaky-signature"              // a visible signature field without a trusted signature
	ChangeSigWidgetAfterSigning     = "signature-widget-after-signing"
	ChangeDSS                       = "dss-updated" // validation data (DSS) added or updated
	ChangeXMP                       = "xmp-updated"
	ChangeInfo                      = "info-updated"
	ChangeStructure                 = "structure-updated"
	ChangeAppearance                = "appearance-updated" // an appearance object of a field being filled
	ChangeCatalog                   = "catalog-changed"    // a catalog entry changed (Key)
	ChangeCatalogUpdated            = "catalog-updated"    // a harmless catalog entry updated (Key)
	ChangeCatalogReplaced           = "catalog-replaced"
	ChangeCatalogUnreadable         = "catalog-unreadable"
	ChangePageTree                  = "page-tree-changed"
	ChangePageTreeUpdated           = "page-tree-updated"
	ChangePageTreeUnreadable        = "page-tree-unreadable"
	ChangePageCount                 = "page-count-changed" // pages added or removed
	ChangePageReplaced              = "page-replaced"
	ChangePageDeleted               = "page-deleted"
	ChangePageContent               = "page-changed" // a page's content, resources or geometry changed (Key)
	ChangePageUpdated               = "page-updated" // a harmless page entry updated (Key)
	ChangeAnnotAdded                = "annotation-added"
	ChangeAnnotModified             = "annotation-modified"
	ChangeAnnotRemoved              = "annotation-removed"
	ChangeAnnotUnreadable           = "annotation-unreadable"
	ChangeAnnotNotPermitted         = "annotation-added-not-permitted"
	ChangeAnnotModifiedNotPermitted = "annotation-modified-not-permitted"
	ChangeEvilAnnot                 = "evil-annotation-added"
	ChangeEvilAnnotModified         = "evil-annotation-modified"
	ChangeAnnotOverSignature        = "annotation-over-signature"
	ChangeForm                      = "form-changed"
	ChangeFormUpdated               = "form-updated"
	ChangeFormRemoved               = "form-removed"
	ChangeFormUnreadable            = "form-unreadable"
	ChangeNeedAppearances           = "need-appearances-set"
	ChangeFormFieldAdded            = "form-field-added"
	ChangeFormFieldRemoved          = "form-field-removed"
	ChangeFieldFilled               = "field-filled"
	ChangeFieldOption               = "field-option-set"
	ChangeFieldValue                = "field-value-changed" // an already filled value or set button changed
	ChangeFieldLocked               = "field-locked"        // filled although FieldMDP locks it
	ChangeFieldNotPermitted         = "field-not-permitted"
	ChangeFieldMoved                = "field-moved"
	ChangeFieldEntry                = "field-entry-changed"
	ChangeFieldEntryUpdated         = "field-entry-updated"
	ChangeFieldVisibility           = "field-visibility-changed"
	ChangeFieldAppearance           = "field-appearance-changed"
	ChangeFieldReadOnly             = "field-read-only"
	ChangeObject                    = "object-changed"
	ChangeObjectDeleted             = "object-deleted"
	ChangeObjectUnreadable          = "object-unreadable"
	ChangeDanglingObject            = "dangling-object-defined"
	ChangeHideAndReplace            = "hide-and-replace"
	ChangeHiddenObject              = "hidden-object" // an object definition no cross-reference section lists
	ChangeMalformedRevision         = "malformed-revision"
	ChangeTrailingBytes             = "trailing-bytes"
	ChangeResourcesAdded            = "resources-added"       // resource names added, none changed
	ChangeResourcesChanged          = "resources-changed"     // a resource name resolves differently
	ChangeCoversContent             = "covers-signed-content" // rendering shows signed content covered (Regions)
	ChangeCoverUnchecked            = "cover-unchecked"       // the page could not be rendered to check
	ChangeAmbiguousObject           = "ambiguous-object"      // readers could resolve an object differently
	// ChangeHiddenTrailer: a trailer, /Root entry, catalog or cross-reference stream that is no
	// revision's own would give a reader that rebuilds the table another root (Key: what it
	// names, e.g. "/Root 20 0 R"; rebuildroot.go).
	ChangeHiddenTrailer = "hidden-trailer"
	// ChangeTooComplex: the changes on a page make the renderer exceed a budget (Key names the
	// limit: MaxAppearanceDrawnBytes, a form XObject recursion, …); they cannot be judged.
	ChangeTooComplex = "changes-too-complex"
	// ChangeAnnotAction: an added or changed annotation carries an action that is not
	// navigation (Key names the types: JavaScript, Launch, …; see actions.go).
	ChangeAnnotAction = "annotation-action"
	// ChangeFieldAction: a signature field added after signing carries such an action.
	ChangeFieldAction = "field-action"
	// ChangeAttachmentAdded: a FileAttachment annotation was added or changed (Key: file name).
	ChangeAttachmentAdded = "attachment-added"
	// ChangeMarksText: rendering shows a later change drawing into a line of signed text, where
	// a dot, a digit or a minus changes what it reads (Regions; coverink.go).
	ChangeMarksText = "marks-signed-text"
	// ChangeStructureMeaning: the structure tree now says something else about signed content —
	// replacement or alternate text, language, role or reading order (structtree.go).
	ChangeStructureMeaning = "structure-meaning-changed"
	// ChangeFieldShowsOther: a field filled after signing has an appearance that does not show
	// its value, so viewers that draw the appearance and form readers that show the value read
	// different things (fillshow.go).
	ChangeFieldShowsOther = "field-appearance-not-value"
	// ChangeUnsignedSeal: rendering shows a change drawing an official seal (a red ring with
	// marks inside) that no intact signature carries (Regions; coverseal.go).
	ChangeUnsignedSeal = "unsigned-seal"
)

// ChangeCodes lists every code, for readers that check they translate them all.
var ChangeCodes = []string{
	ChangeSignature, ChangeSignatureNotPermitted, ChangeSignatureReplaced, ChangeSignatureDict,
	ChangeTimestamp, ChangeTimestampField, ChangeSigField, ChangeSigFieldNotPermitted,
	ChangeSigFieldTrusted, ChangeSneakySignature, ChangeSigWidgetAfterSigning, ChangeDSS, ChangeXMP,
	ChangeInfo, ChangeStructure, ChangeAppearance, ChangeCatalog, ChangeCatalogUpdated,
	ChangeCatalogReplaced, ChangeCatalogUnreadable, ChangePageTree, ChangePageTreeUpdated,
	ChangePageTreeUnreadable, ChangePageCount, ChangePageReplaced, ChangePageDeleted,
	ChangePageContent, ChangePageUpdated, ChangeAnnotAdded, ChangeAnnotModified, ChangeAnnotRemoved,
	ChangeAnnotUnreadable, ChangeAnnotNotPermitted, ChangeAnnotModifiedNotPermitted, ChangeEvilAnnot,
	ChangeEvilAnnotModified, ChangeAnnotOverSignature, ChangeForm, ChangeFormUpdated,
	ChangeFormRemoved, ChangeFormUnreadable, ChangeNeedAppearances, ChangeFormFieldAdded,
	ChangeFormFieldRemoved, ChangeFieldFilled, ChangeFieldOption, ChangeFieldValue,
	ChangeFieldLocked, ChangeFieldNotPermitted, ChangeFieldMoved, ChangeFieldEntry,
	ChangeFieldEntryUpdated, ChangeFieldVisibility, ChangeFieldAppearance, ChangeFieldReadOnly,
	ChangeObject, ChangeObjectDeleted, ChangeObjectUnreadable, ChangeDanglingObject,
	ChangeHideAndReplace, ChangeHiddenObject, ChangeMalformedRevision, ChangeTrailingBytes,
	ChangeResourcesAdded, ChangeResourcesChanged, ChangeCoversContent, ChangeCoverUnchecked,
	ChangeAmbiguousObject, ChangeTooComplex, ChangeAnnotAction, ChangeFieldAction,
	ChangeAttachmentAdded, ChangeHiddenTrailer, ChangeMarksText, ChangeStructureMeaning,
	ChangeFieldShowsOther, ChangeUnsignedSeal,
}

// changeTexts holds, per code, the Chinese and the English template of a change. Placeholders:
// {field} (Field), {object} (Object), {key} (Key), {value} (Value), {page} (Page) and {where}, which is
// "（第 N 页）" / " (page N)" when the page is known and empty otherwise. A template names only
// what the verifier records for its code (checkChangeDetails enforces it on every test report).
var changeTexts = map[string]struct{ zh, en string }{
	ChangeSignature:                 {"新增签名（签名域「{field}」）", "signature added in field {field}"},
	ChangeSignatureNotPermitted:     {"新增签名（签名域「{field}」），但文档认证不允许任何修改", "signature added in field {field} although the certification allows no changes"},
	ChangeSignatureReplaced:         {"签名域「{field}」改为指向另一个签名", "signature field {field} now points to a different signature"},
	ChangeSignatureDict:             {"修改了签名数据（对象 {object}）", "signature dictionary {object} was changed"},
	ChangeTimestamp:                 {"新增文档时间戳", "document timestamp added"},
	ChangeTimestampField:            {"新增文档时间戳域「{field}」", "document timestamp field {field} added"},
	ChangeSigField:                  {"新增签名域「{field}」", "signature field {field} added"},
	ChangeSigFieldNotPermitted:      {"新增签名域「{field}」，但文档认证不允许任何修改", "signature field {field} added although the certification allows no changes"},
	ChangeSigFieldTrusted:           {"新增可见签名域「{field}」{where}，由可信签署人或认证签署人本人签署", "visible signature field {field} added{where}, signed by a trusted signer or by the certifier"},
	ChangeSneakySignature:           {"认证后新增可见签名域「{field}」{where}，且没有可信签名（伪装签名）", "visible signature field {field} added{where} after certification without a trusted signature"},
	ChangeSigWidgetAfterSigning:     {"签名域「{field}」签署后又新增了可见外观{where}", "visible widget added{where} to signature field {field} after it was signed"},
	ChangeDSS:                       {"更新长期验证数据(DSS)", "validation data (DSS) updated"},
	ChangeXMP:                       {"更新 XMP 元数据", "XMP metadata updated"},
	ChangeInfo:                      {"更新文档信息(Info)", "document information (Info) updated"},
	ChangeStructure:                 {"更新文档结构树", "structure tree updated"},
	ChangeAppearance:                {"更新域外观（对象 {object}）", "appearance object {object} updated"},
	ChangeCatalog:                   {"修改目录(Catalog)：/{key}", "catalog entry /{key} changed"},
	ChangeCatalogUpdated:            {"更新目录(Catalog)：/{key}", "catalog /{key} updated"},
	ChangeCatalogReplaced:           {"目录(Catalog)被替换为对象 {object}", "the document catalog was replaced by object {object}"},
	ChangeCatalogUnreadable:         {"无法读取目录(Catalog)", "the document catalog cannot be read"},
	ChangePageTree:                  {"修改页面树", "the page tree was changed"},
	ChangePageTreeUpdated:           {"更新页面树：/{key}", "page tree /{key} updated"},
	ChangePageTreeUnreadable:        {"无法读取页面树", "the page tree cannot be read"},
	ChangePageCount:                 {"新增/删除页面", "pages added or removed"},
	ChangePageReplaced:              {"页面被替换{where}", "page replaced{where}"},
	ChangePageDeleted:               {"删除页面{where}", "page deleted{where}"},
	ChangePageContent:               {"修改页面内容{where}", "page content changed{where}"},
	ChangePageUpdated:               {"更新页面信息{where}：/{key}", "page entry /{key} updated{where}"},
	ChangeAnnotAdded:                {"新增批注{where}", "annotation added{where}"},
	ChangeAnnotModified:             {"修改批注{where}", "annotation modified{where}"},
	ChangeAnnotRemoved:              {"删除批注{where}", "annotation removed{where}"},
	ChangeAnnotUnreadable:           {"新增无法读取的批注{where}", "unreadable annotation added{where}"},
	ChangeAnnotNotPermitted:         {"新增批注{where}，但文档认证不允许批注", "annotation added{where} although the certification does not allow annotations"},
	ChangeAnnotModifiedNotPermitted: {"修改批注{where}，但文档认证不允许批注", "annotation modified{where} although the certification does not allow annotations"},
	ChangeEvilAnnot:                 {"新增可遮盖页面内容的批注{where}", "annotation added{where} that can cover page content"},
	ChangeEvilAnnotModified:         {"修改批注使其可遮盖页面内容{where}", "annotation modified{where} so that it can cover page content"},
	ChangeAnnotOverSignature:        {"批注覆盖签名域「{field}」{where}", "annotation over signature field {field}{where}"},
	ChangeForm:                      {"修改表单设置：/{key}", "form /{key} changed"},
	ChangeFormUpdated:               {"更新表单设置：/{key}", "form /{key} updated"},
	ChangeFormRemoved:               {"删除了表单", "the form was removed"},
	ChangeFormUnreadable:            {"无法读取签名时版本的表单", "the signed revision's form cannot be read"},
	ChangeNeedAppearances:           {"表单被设为由阅读器重绘所有域(NeedAppearances)", "form set to make viewers redraw the fields (NeedAppearances)"},
	ChangeFormFieldAdded:            {"新增表单域「{field}」{where}", "form field {field} added{where}"},
	ChangeFormFieldRemoved:          {"删除表单域「{field}」", "form field {field} removed"},
	ChangeFieldFilled:               {"填写表单域「{field}」，填入「{value}」", "field {field} filled in with \"{value}\""},
	ChangeFieldOption:               {"表单域「{field}」改选了其他选项，选为「{value}」", "field {field} set to another of its options, \"{value}\""},
	ChangeFieldValue:                {"修改已填写的表单域「{field}」，改为「{value}」", "value of field {field} changed after it was filled, to \"{value}\""},
	ChangeFieldLocked:               {"填写了被签名锁定的表单域「{field}」", "field {field} filled although a signature locks it"},
	ChangeFieldNotPermitted:         {"填写表单域「{field}」，但文档认证不允许任何修改", "field {field} filled although the certification allows no changes"},
	ChangeFieldMoved:                {"表单域「{field}」被移到另一个对象（对象 {object}）", "field {field} now lives in object {object}"},
	ChangeFieldEntry:                {"修改表单域「{field}」的属性 /{key}", "field {field}: /{key} changed"},
	ChangeFieldEntryUpdated:         {"更新表单域「{field}」的属性 /{key}", "field {field}: /{key} updated"},
	ChangeFieldVisibility:           {"修改表单域「{field}」的可见性", "visibility of field {field} changed"},
	ChangeFieldAppearance:           {"未改值却修改了表单域「{field}」的外观", "appearance of field {field} changed without a new value"},
	ChangeFieldReadOnly:             {"表单域「{field}」设为只读", "field {field} made read-only"},
	ChangeFieldShowsOther:           {"表单域「{field}」显示的内容与填入的值不一致，不同阅读器会读到不同的内容，填入的值为「{value}」", "field {field} was filled with an appearance that does not show its value: viewers and form readers read different things, its value is \"{value}\""},
	ChangeObject:                    {"修改对象 {object}", "object {object} was changed"},
	ChangeObjectDeleted:             {"删除对象 {object}", "object {object} was deleted"},
	ChangeObjectUnreadable:          {"最新版本中无法读取对象 {object}", "object {object} cannot be read in the latest revision"},
	ChangeDanglingObject:            {"签署后补上了签名时缺失的对象 {object}", "object {object}, missing when signed, was added after signing"},
	ChangeHideAndReplace:            {"对象 {object} 被改指向签名范围内的其他数据（隐藏替换攻击）", "object {object} redefined to bytes inside the signed revision (hide-and-replace)"},
	ChangeHiddenObject:              {"文件中有交叉引用表未列出的对象定义", "an object definition that no cross-reference section lists"},
	ChangeMalformedRevision:         {"后续修改版本格式错误", "a later revision is malformed"},
	ChangeTrailingBytes:             {"最后一个版本之后有未登记的数据", "bytes after the last revision that no cross-reference section accounts for"},
	ChangeResourcesAdded:            {"新增资源条目{where}", "resources added{where}"},
	ChangeResourcesChanged:          {"修改已有资源{where}", "existing resources changed{where}"},
	ChangeCoversContent:             {"签署后新增的内容遮盖了已签署的内容{where}", "later changes cover signed content{where}"},
	ChangeMarksText:                 {"签署后新增的内容画进了已签署的文字行，可能改变文字的读法{where}", "later changes draw into a line of signed text, which can change what it reads{where}"},
	ChangeCoverUnchecked:            {"无法渲染页面以确认签署后的修改未遮盖已签署内容{where}", "the page could not be rendered to check that later changes leave signed content visible{where}"},
	ChangeAmbiguousObject:           {"对象 {object} 在不同阅读器中可能被解读为不同内容", "object {object} can be read differently by different viewers"},
	ChangeHiddenTrailer:             {"文件中隐藏了另一个文件尾或文档目录（{key}），重建交叉引用表的阅读器会显示另一份文档或另一套文档属性", "a hidden trailer or catalog ({key}) makes viewers that rebuild the cross-reference table show another document or other document properties"},
	ChangeTooComplex:                {"无法判断：签署后的修改过于复杂，无法检查（超出限制 {key}）{where}", "cannot judge: the changes after signing are too complex to check (limit {key}){where}"},
	ChangeAnnotAction:               {"签署后新增或修改的批注{where}带有可改变文档显示内容的动作：{key}", "annotation added or changed{where} with actions that can change what the document shows: {key}"},
	ChangeFieldAction:               {"签署后新增的签名域「{field}」带有可改变文档显示内容的动作：{key}", "signature field {field} added with actions that can change what the document shows: {key}"},
	ChangeAttachmentAdded:           {"签署后新增了附件{where}：{key}", "an attached file was added after signing{where}: {key}"},
	ChangeUnsignedSeal:              {"签署后新增的内容画出了公章{where}，但没有签名为它负责（公章代表单位的意思表示）", "a change after signing draws an official seal{where} that no signature carries (a seal reads as the company's consent)"},
	ChangeStructureMeaning:          {"签署后修改了文档结构树对已签署内容的描述（替代文本、说明、语言、角色或阅读顺序），屏幕阅读器和文字提取读到的内容与页面不同", "the structure tree now says something else about signed content (replacement or alternate text, language, role or reading order): screen readers and text extraction read another text than the page shows"},
}

// notPermittedSuffix lists the codes whose change is allowed unless a certification forbids all
// changes: when it does (the detail is not Allowed), the sentence says so.
func notPermittedSuffix(code string) bool {
	return code == ChangeXMP || code == ChangeInfo || code == ChangeStructure
}

// isChinese reports whether lang asks for Chinese ("zh", "zh-CN", "zh_Hans", …).
func isChinese(lang string) bool { return strings.HasPrefix(strings.ToLower(lang), "zh") }

// Text says the change in lang: for Chinese ("zh…") the code's Chinese template with the
// detail's place filled in; otherwise the verifier's English sentence (Sentence), or the
// English template when the detail carries none. A code this build does not know yields
// Sentence in every language.
func (d ChangeDetail) Text(lang string) string {
	t, ok := changeTexts[d.Code]
	if !ok {
		return d.Sentence
	}
	zh := isChinese(lang)
	if !zh && d.Sentence != "" {
		return d.Sentence
	}
	tmpl, where, suffix := t.en, "", ", although the certification allows no changes"
	if zh {
		tmpl, suffix = t.zh, "，但文档认证不允许任何修改"
	}
	if d.Value == "" {
		// A detail made without the value (an older caller): the sentence without its clause.
		if i := strings.Index(tmpl, "{value}"); i >= 0 {
			head := tmpl[:i]
			if cut := max(strings.LastIndex(head, "，"), strings.LastIndex(head, ", "), strings.LastIndex(head, " with ")); cut > 0 {
				tmpl = tmpl[:cut]
			}
		}
	}
	if d.Page > 0 {
		if zh {
			where = "（第 " + strconv.Itoa(d.Page) + " 页）"
		} else {
			where = " (page " + strconv.Itoa(d.Page) + ")"
		}
	}
	out := strings.NewReplacer("{field}", d.Field, "{object}", strconv.Itoa(d.Object), "{key}", d.Key, "{value}", d.Value,
		"{page}", strconv.Itoa(d.Page), "{where}", where).Replace(tmpl)
	if !d.Allowed && notPermittedSuffix(d.Code) {
		out += suffix
	}
	return out
}

// ChangeTexts returns what changed after s in lang (see ChangeDetail.Text), in order, each
// sentence once: two changes the Chinese words alike (the /Contents and the /Resources of one
// page) read as one line. Without details matching Changes entry for entry it returns Changes.
func (s Signature) ChangeTexts(lang string) []string {
	if len(s.ChangeDetails) != len(s.Changes) {
		return s.Changes
	}
	out := make([]string, 0, len(s.ChangeDetails))
	seen := map[string]bool{}
	for _, d := range s.ChangeDetails {
		if t := d.Text(lang); !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// ChangeTemplate returns the raw Chinese or English template of code and whether the code has
// one, for readers that check every code is worded (and, in the desktop, that its font has
// every rune).
func ChangeTemplate(code, lang string) (string, bool) {
	t, ok := changeTexts[code]
	if isChinese(lang) {
		return t.zh, ok && t.zh != ""
	}
	return t.en, ok && t.en != ""
}
