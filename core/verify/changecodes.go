package verify

// ChangeDetail is the machine form of one entry of Signature.Changes: a stable code that a user
// interface translates, where the change is, and the English sentence it belongs to. Codes never
// change meaning; new kinds of change get new codes, so a reader that does not know a code shows
// Text.
type ChangeDetail struct {
	Code    string // one of the Change… constants
	Allowed bool   // the change is permitted after this signature
	Object  int    // object number, when the change names one (0 otherwise)
	Page    int    // 1-based page number, when the change is on a known page (0 otherwise)
	Field   string // form or signature field name, when the change names one
	Key     string // dictionary key or annotation subtype, when the change names one
	Text    string // the English sentence, as in Signature.Changes
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
	ChangeSigFieldTrusted           = "signature-field-trusted"       // a visible signature field signed by a trusted signer
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
}
