package verify

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
)

// Verdict is a file's verdict or a signature's status (SPEC §7). Its value is the JSON word;
// String gives the Chinese of the UI and the zh report. A misspelled status does not compile.
type Verdict string

// Verdicts and per-signature statuses (SPEC §7).
const (
	StatusValid     Verdict = "valid"
	StatusUntrusted Verdict = "untrusted"
	StatusModified  Verdict = "modified-after-signing"
	StatusInvalid   Verdict = "invalid-signature"
	StatusUnsigned  Verdict = "unsigned"
)

// String is the verdict in Chinese (有效且可信, 有效但证书不受信任, 签名后文档被修改, 无效, 未签名); an
// unknown value is returned as it is.
func (v Verdict) String() string {
	if s, ok := labelsZH().verdicts[v]; ok {
		return s
	}
	return string(v)
}

// Signature kinds.
const (
	KindApproval      = "approval"
	KindCertification = "certification"
	KindDocTimestamp  = "doc-timestamp"
)

// Report is the result of verifying one file. Its JSON form is the `sealctl verify --json`
// contract of SPEC §7; do not add or rename JSON keys.
type Report struct {
	File       string      `json:"file"`
	SHA256     string      `json:"sha256"`
	Verdict    Verdict     `json:"verdict"`
	Signatures []Signature `json:"signatures"`
	// OFD is set for an OFD file (the package, parts no signature covers); not part of the JSON.
	OFD *OFDInfo `json:"-"`
	// CoverRendered counts the pages the cover check rendered (once per signature and page),
	// CoverProven those it proved untouched without rendering (coverbound.go); not part of the
	// JSON report.
	CoverRendered, CoverProven int `json:"-"`
	// CoverPriced counts the page contents the cover check priced before rendering: once per
	// drawing of a page, however many signatures render it (coverwork.go); not in the JSON.
	CoverPriced int `json:"-"`

	data []byte // the bytes that were verified ("view the signed version" writes from them)
}

// Signature is the report for one signature or document timestamp.
type Signature struct {
	Index        int       `json:"index"`
	Field        string    `json:"field"`
	Kind         string    `json:"kind"`
	Page         int       `json:"page"`
	Rect         []float64 `json:"rect"`
	Revision     int       `json:"revision"`
	Revisions    int       `json:"revisions"`
	Signer       Signer    `json:"signer"`
	Integrity    string    `json:"integrity"`
	ChangesAfter string    `json:"changes_after"`
	Changes      []string  `json:"changes"`
	// ChangeDetails holds, entry for entry, the code and place of each of Changes (for user
	// interfaces that translate them); not part of the JSON report.
	ChangeDetails []ChangeDetail `json:"-"`
	Trust         string         `json:"trust"`
	SigningTime   string         `json:"signing_time"`
	TimeSource    string         `json:"time_source"`
	Timestamp     Timestamp      `json:"timestamp"`
	Algorithm     string         `json:"algorithm"`
	Revocation    string         `json:"revocation"`
	// RevokedAt is when the signer's certificate was revoked (RFC 3339), when the revocation data
	// says so: with Revocation "revoked" at or before the signing time, with "good" after it.
	RevokedAt string   `json:"revoked_at,omitempty"`
	LTV       bool     `json:"ltv"`
	Status    Verdict  `json:"status"`
	Reasons   []string `json:"reasons"`

	// SignedRange is the [0, N) prefix of the file the signature covers when its ByteRange is
	// well-formed (0 otherwise): what "view the signed version" shows.
	SignedRange int64 `json:"-"`
	// Coverage says how much of the file the signature covers: "entire-file",
	// "entire-revision" or "unclear".
	Coverage string `json:"-"`
	// Reason is the signature dictionary's /Reason (see Mark); not part of the JSON report.
	Reason string `json:"-"`
	// Seal describes an OFD signature (the seal, its picture and where it is drawn); nil for
	// a PDF signature. Not part of the JSON report.
	Seal *SealInfo `json:"-"`
	// Expired: intact, but signed outside the seal's or the certificate's validity (过期).
	Expired bool `json:"-"`
}

// TimeSourceKind is where the signing time comes from, for reports: "timestamp" (a timestamp
// authority chaining to a full anchor: 权威时间戳), "local" (one chaining only to an anchor of
// TrustStore.AddLocal: 本机时间戳（未经第三方认证）) or "signer" (the signer's own clock).
func (s *Signature) TimeSourceKind() string {
	if s.TimeSource == "timestamp" && s.Timestamp.Local {
		return "local"
	}
	return s.TimeSource
}

// Signer identifies who signed, from the signer certificate.
type Signer struct {
	Name         string `json:"name"`
	Organization string `json:"organization"`
	ID           string `json:"id"`
	Serial       string `json:"serial"`
	Issuer       string `json:"issuer"`
	// OrganizationID is the subject's organizationIdentifier (2.5.4.97) without its ETSI
	// prefix: for a SealDesk enterprise seal, the unified social credit code (NTRCN-…).
	OrganizationID string `json:"organization_id,omitempty"`
	// Operator is who used an organization's seal: the signature dictionary's /Name, which the
	// signature covers, read only when the certificate names an organization by
	// organizationIdentifier (a seal certificate is the company's, the person is in /Name).
	Operator string `json:"operator,omitempty"`
	// Event is true for an event certificate (事件证书, pki.OIDEventCertificate): a key the
	// server generated for this one signing of one contract and destroyed afterwards, for a
	// person without a device key; EventNotice is the certificate's policy notice (which
	// contract, how the person was verified).
	Event       bool   `json:"event_certificate,omitempty"`
	EventNotice string `json:"event_notice,omitempty"`
}

// Timestamp describes the signature timestamp (or, for a document timestamp, the token itself).
type Timestamp struct {
	Present   bool   `json:"present"`
	Valid     bool   `json:"valid"`
	Authority string `json:"authority"`
	// Local is set for a valid timestamp whose authority chains only to an anchor of
	// TrustStore.AddLocal (the desktop's embedded backend): a time this machine vouches for, not a
	// third party. Reports call it 本机时间戳（未经第三方认证）; not part of the JSON report.
	Local bool `json:"-"`
}

// ExitCode maps a verdict to sealctl's exit status (SPEC §7): 0 valid, 1 invalid or modified,
// 3 untrusted, 4 unsigned.
func ExitCode(verdict Verdict) int {
	switch verdict {
	case StatusValid:
		return 0
	case StatusUntrusted:
		return 3
	case StatusUnsigned:
		return 4
	}
	return 1
}

// WriteJSON writes r as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// Labels for the text form, from the manual's 文件验签 page.
type labels struct {
	file, verdict, signature, result, signer, signerID, org, issuer, serial, time, tsUsed, alg,
	status, field, page, revision, kind, changes, revocation, ltv, reasons, yes, no string
	recipient, sealName, sigName string
	orgID, operator              string
	certKind, eventCert          string
	marks                        map[string]string
	verdicts                     map[Verdict]string
	kinds                        map[string]string
	source                       map[string]string
	values                       map[string]string // integrity, revocation and changes_after values
}

func (l labels) value(v string) string {
	if t, ok := l.values[v]; ok {
		return t
	}
	return v
}

// statusValidRevocationUnknown is the wording key (not a status) of a valid, trusted signature
// whose certificate's revocation status is unknown: the card says 有效，吊销状态未知.
const statusValidRevocationUnknown Verdict = "valid-revocation-unknown"

// ResultKey is the key of the sentence that sums up a signature on its card: its Status, except
// that a valid signature whose revocation status is unknown is "valid-revocation-unknown"
// (有效，吊销状态未知). The JSON status stays "valid".
func (s Signature) ResultKey() Verdict {
	if s.Status == StatusUntrusted && s.Seal != nil && s.Seal.Type == "Integrity" {
		return statusIntegrityOnly
	}
	if s.Status == StatusUntrusted && s.Expired {
		return statusExpired
	}
	if s.Status == StatusValid && s.Revocation == RevocationUnknown && s.Seal == nil {
		return statusValidRevocationUnknown
	}
	return s.Status
}

var labelsZH = sync.OnceValue(func() labels {
	return labels{
		file: "文件", verdict: "验签结论", signature: "签章", result: "签章结果", signer: "签章人",
		signerID: "签章人标识", org: "单位", issuer: "颁发者", serial: "证书序列号", time: "签名时间",
		tsUsed: "是否使用时间戳", alg: "签名算法", status: "签名状态", field: "签名域", page: "签署位置",
		revision: "签名覆盖的版本", kind: "类型", changes: "签名后的修改", revocation: "吊销状态", ltv: "长期验证(LTV)",
		reasons: "说明", yes: "是", no: "否",
		recipient: "签署方", sealName: "印章名", sigName: "签名名称", orgID: "统一社会信用代码", operator: "用印人",
		certKind: "证书类型", eventCert: "事件证书（服务器为本次签署生成、签署后即销毁的密钥）",
		marks: map[string]string{MarkSignature: "签名", MarkSeal: "印章", MarkCross: "骑缝章", MarkDate: "日期"},
		verdicts: map[Verdict]string{
			StatusValid: "有效且可信", StatusUntrusted: "有效但证书不受信任", StatusModified: "签名后文档被修改",
			StatusInvalid: "无效", StatusUnsigned: "未签名", statusValidRevocationUnknown: "有效，吊销状态未知",
			statusExpired: "签名完整但已过期", statusIntegrityOnly: "仅防夹带，内容未受保护",
		},
		kinds:  map[string]string{KindApproval: "审批签名", KindCertification: "认证签名", KindDocTimestamp: "文档时间戳"},
		source: map[string]string{"timestamp": "权威时间戳", "local": "本机时间戳（未经第三方认证）", "signer": "签名者本机时间"},
		values: map[string]string{
			"valid": "签名完整", "invalid": "签名已损坏", RevocationGood: "未吊销", RevocationRevoked: "已吊销",
			RevocationUnknown: "未知", "none": "无", "allowed": "仅允许的修改", "disallowed": "存在不允许的修改",
		},
	}
})

var labelsEN = sync.OnceValue(func() labels {
	return labels{
		file: "File", verdict: "Verdict", signature: "Signature", result: "Result", signer: "Signer",
		signerID: "Signer ID", org: "Organization", issuer: "Issuer", serial: "Certificate serial",
		time: "Signing time", tsUsed: "Timestamped", alg: "Algorithm", status: "Integrity", field: "Field",
		page: "Where", revision: "Version signed", kind: "Kind", changes: "Changes after signing",
		revocation: "Revocation", ltv: "LTV", reasons: "Reasons", yes: "yes", no: "no",
		recipient: "Signing party", sealName: "Seal", sigName: "Signature image", orgID: "Organization ID", operator: "Used by",
		certKind: "Certificate", eventCert: "event certificate (a key the server made for this one signing and destroyed)",
		marks: map[string]string{MarkSignature: "signature", MarkSeal: "seal", MarkCross: "straddle seal", MarkDate: "date"},
		verdicts: map[Verdict]string{
			StatusValid: "valid and trusted", StatusUntrusted: "valid, certificate not trusted",
			StatusModified: "document modified after signing", StatusInvalid: "invalid", StatusUnsigned: "not signed",
			statusValidRevocationUnknown: "valid, revocation status unknown",
			statusExpired:                "intact but expired", statusIntegrityOnly: "no file added, content not protected",
		},
		kinds:  map[string]string{KindApproval: "approval", KindCertification: "certification", KindDocTimestamp: "document timestamp"},
		source: map[string]string{"timestamp": "trusted timestamp", "local": "local timestamp (not certified by a third party)", "signer": "signer's clock"},
	}
})

func labelsFor(lang string) labels {
	if isChinese(lang) {
		return labelsZH()
	}
	return labelsEN()
}

// TextLines renders the report as labelled lines in lang ("zh" or "en").
func (r *Report) TextLines(lang string) []string {
	l := labelsFor(lang)
	var out []string
	add := func(k, v string) { out = append(out, fmt.Sprintf("  %s: %s", k, v)) }
	out = append(out, fmt.Sprintf("%s: %s", l.file, r.File))
	out = append(out, fmt.Sprintf("%s: %s", l.verdict, l.verdicts[r.Verdict]))
	out = append(out, "SHA-256: "+r.SHA256)
	for _, s := range r.Signatures {
		out = append(out, "")
		kind := l.kinds[s.Kind]
		mark, markName := s.Mark()
		if s.Kind == KindApproval && l.marks[mark] != "" {
			kind = l.marks[mark]
		}
		out = append(out, fmt.Sprintf("%s %d (%s)", l.signature, s.Index, kind))
		add(l.result, l.verdicts[s.ResultKey()])
		add(l.signer, s.Signer.Name)
		if r := s.Recipient(); r > 0 {
			add(l.recipient, fmt.Sprintf("%s %d", l.recipient, r))
		}
		if markName != "" {
			if mark == MarkSignature {
				add(l.sigName, markName)
			} else {
				add(l.sealName, markName)
			}
		}
		if s.Signer.Organization != "" {
			add(l.org, s.Signer.Organization)
		}
		if s.Signer.OrganizationID != "" {
			add(l.orgID, s.Signer.OrganizationID)
		}
		if s.Signer.Operator != "" {
			add(l.operator, s.Signer.Operator)
		}
		if s.Signer.Event {
			add(l.certKind, l.eventCert)
		}
		if s.Signer.ID != "" {
			add(l.signerID, s.Signer.ID)
		}
		add(l.issuer, s.Signer.Issuer)
		add(l.serial, s.Signer.Serial)
		t := s.SigningTime
		if src := l.source[s.TimeSourceKind()]; src != "" && t != "" {
			t += " (" + src + ")"
		}
		add(l.time, t)
		ts := l.no
		if s.Timestamp.Present {
			ts = l.yes
			if s.Timestamp.Authority != "" {
				ts += " (" + s.Timestamp.Authority + ")"
			}
		}
		add(l.tsUsed, ts)
		add(l.alg, s.Algorithm)
		add(l.status, l.value(s.Integrity))
		add(l.revocation, l.value(s.Revocation))
		ltv := l.no
		if s.LTV {
			ltv = l.yes
		}
		add(l.ltv, ltv)
		if s.Field != "" && s.Recipient() == 0 {
			add(l.field, s.Field)
		}
		add(l.page, s.PlaceText(lang))
		add(l.revision, s.RevisionText(lang))
		if len(s.Changes) > 0 {
			add(l.changes, l.value(s.ChangesAfter))
			for _, c := range s.ChangeTexts(lang) {
				out = append(out, "    - "+c)
			}
		}
		if len(s.Reasons) > 0 {
			add(l.reasons, "")
			for _, c := range s.Reasons {
				out = append(out, "    - "+ReasonText(c, lang))
			}
		}
	}
	return out
}

// WriteText writes the text form of r.
func (r *Report) WriteText(w io.Writer, lang string) error {
	_, err := io.WriteString(w, strings.Join(r.TextLines(lang), "\n")+"\n")
	return err
}

// ReasonSelfDeclared is the reason added to a signature whose certificate carries the
// self-declared-identity policy (pki.OIDSelfDeclaredIdentity): the signer typed a name and ID
// that no real-name provider checked (SealDesk's single-machine mode). Such a signature is never
// trusted, whatever the anchors (the GUI trusts its own embedded backend's root, sealctl may be
// given it): at best its status is StatusUntrusted (有效但证书不受信任), so that every reader of the
// same file says the same; the reader must not take the name as verified.
const ReasonSelfDeclared = "signer identity is self-declared: no real-name provider verified it"

// reasonTexts gives Chinese for the common Reasons sentences: each English sentence or pattern
// (anchored; $1, $2 are its variable parts, such as times and algorithm names) with its Chinese
// template. A reason no entry matches stays English. The patterns are compiled on first use,
// not when a program that links the verifier starts (a millisecond or more of every
// `sealctl verify`).
var reasonTexts = sync.OnceValue(func() []reasonText { return reasonTable() })

type reasonText struct {
	en *regexp.Regexp
	zh string
}

func reasonTable() []reasonText {
	return append(algorithmReasons(), []reasonText{
		{fixedReason("no trust anchors are configured"), "未配置信任根证书，无法判断证书是否可信"},
		// OFD (ofd.go)
		{fixedReason("the seal's dataHash does not match Signature.xml: the signature description was edited or re-serialised after signing"), "印章签名中的 dataHash 与 Signature.xml 不符：签名描述在签署后被编辑或重新序列化"},
		{regexp.MustCompile(`^(\S+) changed after signing \(its digest does not match\)$`), "$1 在签署后被修改（摘要不符）"},
		{regexp.MustCompile(`^(\S+), which the signature covers, is missing from the package$`), "签名覆盖的 $1 已不在文件包中"},
		{fixedReason("the signer's SM2 signature over TBS_Sign does not verify"), "签章人对 TBS_Sign 的 SM2 签名验证失败"},
		{regexp.MustCompile(`^the seal maker's signature over the seal \(v(\d) message\) does not verify: the seal was altered or forged$`), "制章者对印章（v$1 格式）的签名验证失败：印章被篡改或伪造"},
		{regexp.MustCompile(`^signed at (\S+), outside the seal's validity (\S+) – (\S+)$`), "签署时间 $1 不在印章有效期 $2 至 $3 内（过期）"},
		{regexp.MustCompile(`^signed at (\S+), outside the signer certificate's validity (\S+) – (\S+)$`), "签署时间 $1 不在签章人证书有效期 $2 至 $3 内（过期）"},
		{fixedReason("the signer's certificate is not in the seal's certList: the seal was not issued for this signer"), "签章人证书不在印章的证书列表中：该印章不是为此签章人制作的"},
		{regexp.MustCompile(`^the seal picture is not an? (\S+) (image|package)$`), "印章图片不是有效的 $1 图像"},
		{regexp.MustCompile(`^SES version (\d+) \((\S*) layout\) is not one this verifier knows .*$`), "印章版本 $1 不是本软件认识的版本（GM/T 0031-2014 v1、GB/T 38540-2020 v4）：已按 $2 格式检查，但不予担保"},
		{fixedReason("OFDEntries.xml lists file names only, not their digests: the content of the document is NOT protected by this signature (it only shows that no file was added)"), "OFDEntries.xml 只列出文件名而没有摘要：本签名不保护文档内容（只表明没有添加文件）"},
		{regexp.MustCompile(`^(\S+) is in the package but not in OFDEntries.xml \(a file was added after signing\)$`), "$1 在文件包中但不在 OFDEntries.xml 中（签署后被添加的文件）"},
		{regexp.MustCompile(`^parts no signature covers \(they can change without breaking a signature\): (.+)$`), "没有任何签名覆盖的部件（可被修改而不破坏签名）：$1"},
		{regexp.MustCompile(`^the seal file (\S+) differs from the seal inside the signature$`), "印章文件 $1 与签名中的印章不一致"},
		{fixedReason("the signer's signature covers Signature.xml (dataHash) only, not TBS_Sign: the seal and the time inside TBS_Sign are not covered by it (iOFD)"), "签章人的签名只覆盖 Signature.xml（dataHash），不覆盖 TBS_Sign：其中的印章和时间不受其保护（iOFD）"},
		{regexp.MustCompile(`^the signed value is not a readable SES_Signature: (.+)$`), "签名值不是可读取的 SES 电子签章数据：$1"},
		{fixedReason("the seal's certList holds values that are not certificates: whether the signer may use this seal cannot be checked"), "印章的证书列表中不是证书：无法检查签章人是否有权使用此印章"},
		{fixedReason("a bare SM2 signature without a certificate: no supplied certificate verifies it"), "不含证书的裸 SM2 签名：没有可验证它的证书"},
		{fixedReason("a bare SM2 signature: the file carries no certificate; it verifies with the certificate supplied for it"), "裸 SM2 签名：文件不含证书，已用提供的证书验证"},
		{fixedReason("the signed content is not SM3(Signature.xml)"), "签名内容不是 SM3(Signature.xml)"},
		{fixedReason("the SES signature carries a time stamp, which this verifier does not check: the signing time is the signer's"), "SES 签名带有时间戳，本软件不检查它：签署时间来自签章人"},
		{fixedReason(ReasonSelfDeclared), "签章人身份为自证身份：未经任何实名核验机构核验"},
		{fixedReason("the certificate does not chain to a trusted root"), "证书无法链接到受信任的根证书"},
		{fixedReason("the certificate cannot be parsed for path validation"), "证书无法解析，不能验证证书链"},
		{regexp.MustCompile(`^the certificate cannot be parsed for path validation \((.+)\)$`), "证书无法解析，不能验证证书链（$1）"},
		{fixedReason("the signer certificate is revoked"), "签名证书已被吊销"},
		{regexp.MustCompile(`^a certificate in the chain is not valid at (\S+)$`), "证书链中有证书在 $1 时不在有效期内（已过期或尚未生效）"},
		{regexp.MustCompile(`^the certificate was revoked at (\S+), after the signing time \((.+)\)$`), "证书已于 $1 被吊销，晚于签名时间（$2）"},
		{regexp.MustCompile(`^the certificate was revoked at (\S+) \((.+)\)$`), "证书已于 $1 被吊销（$2）"},
		{regexp.MustCompile(`^the certificate's key counts as compromised from (\S+), the invalidityDate of its revocation for key compromise at (\S+) \((.+)\)$`), "证书私钥自 $1 起视为已泄露：它于 $2 因密钥泄露被吊销，失效日期（invalidityDate）为 $1（$3）"},
		{regexp.MustCompile(`^the newest revocation data \((\S+)\) is more than 8 days older than the signing time (\S+): revocation status unknown$`), "最新的吊销信息（$1）比签名时间 $2 早 8 天以上，吊销状态未知"},
		{regexp.MustCompile(`^the freshest revocation data \((.+)\) says the status is unknown$`), "最新的吊销信息（$1）表示状态未知"},
		{regexp.MustCompile(`^the document timestamp dictionary has a duplicate /Type key; the /SubFilter decides how it is verified$`), "文档时间戳字典中 /Type 键重复；按 /SubFilter 验证"},
		{fixedReason("the signer's certificate is a CA certificate (basicConstraints CA:TRUE), not an end-entity certificate"), "签名证书是 CA 证书（basicConstraints CA:TRUE），不是最终实体证书"},
		{fixedReason("the signed attributes lack the content-type attribute RFC 5652 §5.3 requires"), "签名属性缺少 RFC 5652 §5.3 要求的 content-type 属性"},
		{regexp.MustCompile(`^/Contents holds (\d+) non-zero bytes after the CMS structure \(unsigned data, ignored\)$`), "/Contents 中签名结构之后还有 $1 个非零字节（未签名的数据，已忽略）"},
		{fixedReason("the messageDigest attribute does not match the signed bytes"), "签名的摘要与签名范围内的数据不一致"},
		{fixedReason("the signer certificate's key usage allows neither digitalSignature nor nonRepudiation"), "签名证书的密钥用法不允许数字签名"},
		{fixedReason("the signer certificate's extended key usage does not allow document signing"), "签名证书的扩展密钥用法不允许签署文档"},
		{fixedReason(reasonUnboundCAdES), "签名证书未与签名绑定：ETSI.CAdES.detached 签名必须含 signing-certificate-v2 签名属性（ETSI EN 319 122-1、EN 319 142-1），缺少它，签署后可被同一密钥的另一张证书替换"},
		{fixedReason("the signing-certificate attribute names a different certificate than the signer's"), "签名属性 signing-certificate 指向的证书不是签名所用的证书（证书在签署后被替换）"},
		{regexp.MustCompile(`^the signing-certificate(-v2)? attribute is malformed$`), "签名属性 signing-certificate$1 格式错误"},
		{fixedReason(reasonUnboundTST), "时间戳机构的证书未与时间戳绑定：RFC 3161 要求时间戳含 signing-certificate 签名属性，缺少它，可被同一密钥的另一张证书替换"},
		{fixedReason(reasonUnboundPKCS7), "签名证书未由签名属性（signing-certificate）绑定：签署后可被同一密钥的另一张证书替换而不破坏签名"},
		{regexp.MustCompile(`^the CA "(.*)" in the certificate path has an extended key usage that does not allow document signing$`), "证书链中的 CA 证书“$1”的扩展密钥用法不允许签署文档"},
		{regexp.MustCompile(`^the CA "(.*)" in the certificate path has an extended key usage that does not allow time stamping$`), "证书链中的 CA 证书“$1”的扩展密钥用法不允许签发时间戳"},
		{regexp.MustCompile(`^certificate validated at (\S+), the time of the document timestamp that covers this signature$`), "证书按覆盖此签名的文档时间戳的时间（$1）验证"},
		{regexp.MustCompile(`^the claimed signing time (\S+) is later than the timestamp (\S+)$`), "声称的签名时间 $1 晚于时间戳时间 $2"},
		{regexp.MustCompile(`^signature timestamp: (.+)$`), "签名时间戳：$1"},
		{regexp.MustCompile(`^the time-stamping authority's certificate was revoked \((\S+)\) before the token's time (\S+)$`), "时间戳机构的证书已于 $1 被吊销，早于时间戳的时间 $2"},
		// RFC 3161 tokens (tst.go)
		{regexp.MustCompile(`^the timestamp's genTime "(.*)" is not a DER GeneralizedTime in UTC \(RFC 3161 §2\.4\.2\)$`), "时间戳的生成时间 \"$1\" 不是 RFC 3161 §2.4.2 要求的 UTC 时间（DER GeneralizedTime）"},
		{regexp.MustCompile(`^the timestamp token has an unknown critical extension (\S+)$`), "时间戳含有无法识别的关键扩展 $1"},
		{fixedReason("the timestamp's accuracy is malformed"), "时间戳的精度（accuracy）格式错误"},
		{fixedReason("the timestamp's extensions are malformed"), "时间戳的扩展格式错误"},
		{fixedReason("the TSTInfo has an element RFC 3161 does not define"), "时间戳信息（TSTInfo）含有 RFC 3161 未定义的元素"},
		{fixedReason("the TSTInfo's optional fields are repeated or out of order"), "时间戳信息（TSTInfo）的可选字段重复或顺序错误"},
		{regexp.MustCompile(`^the timestamp's accuracy is ±(\S+): it proves existence only before (\S+)$`), "时间戳的精度为 ±$1：它只能证明签名在 $2 之前已存在"},
	}...)
}

// algorithmReasons gives the algorithm policy's sentences (algpolicy.go) for each weak use it
// names: the English words of weakAlg.what (a pattern, $1 a number of bits) and their Chinese.
func algorithmReasons() []reasonText {
	whats := [][2]string{
		{`SHA1 as the digest of the signed data`, "签名数据的摘要算法 SHA1 "},
		{`SHA1 as the timestamp's message imprint`, "时间戳消息印记的摘要算法 SHA1 "},
		{`SHA1 as the digest of the timestamp token`, "时间戳令牌自身的摘要算法 SHA1 "},
		{`the signer's RSA key of (\d+) bits`, "签名人 $1 位的 RSA 密钥"},
		{`the time-stamping authority's RSA key of (\d+) bits`, "时间戳机构 $1 位的 RSA 密钥"},
		{`SHA1 as the digest of the signature on the certificate of "(.*)"`, "证书“$1”签名的摘要算法 SHA1 "},
		{`the CA "(.*)"'s RSA key of (\d+) bits`, "CA 证书“$1”中 $2 位的 RSA 密钥"},
		{`SHA1 as the digest of the signature on the embedded OCSP response`, "文档内嵌的 OCSP 响应签名的摘要算法 SHA1 "},
		{`SHA1 as the digest of the signature on the online OCSP response`, "在线获取的 OCSP 响应签名的摘要算法 SHA1 "},
		{`SHA1 as the digest of the signature on the embedded CRL`, "文档内嵌的 CRL 签名的摘要算法 SHA1 "},
		{`SHA1 as the digest of the signature on the online CRL`, "在线获取的 CRL 签名的摘要算法 SHA1 "},
	}
	var out []reasonText
	for _, w := range whats {
		n := strings.Count(w[0], "(") // the sentence's own groups follow the what's
		zh := strings.ReplaceAll(w[1], "$1", "${1}")
		out = append(out,
			reasonText{regexp.MustCompile(`^` + w[0] + ` is not accepted after its sunset date (\S+), and nothing proves it was used before then$`),
				fmt.Sprintf("%s自 $%d 起已到期不再被接受，且没有证据证明它在此之前已被使用", zh, n+1)},
			reasonText{regexp.MustCompile(`^` + w[0] + ` is accepted: a proof of existence at (\S+) precedes its sunset date (\S+)$`),
				fmt.Sprintf("%s仍被接受：存在性证明的时间 $%d 早于其到期日 $%d", zh, n+1, n+2)},
		)
	}
	return out
}

func fixedReason(s string) *regexp.Regexp { return regexp.MustCompile("^" + regexp.QuoteMeta(s) + "$") }

// ReasonText says one of Signature.Reasons in lang: Chinese ("zh…") for the sentences
// reasonTexts knows (the variable part of "signature timestamp: …" translated in turn), the
// reason unchanged otherwise.
func ReasonText(reason, lang string) string {
	if !isChinese(lang) {
		return reason
	}
	for _, pre := range [][2]string{{"signer: ", "签章人："}, {"seal maker: ", "制章者："}, {"SES time stamp: ", "SES 时间戳："},
		{"the time-stamping authority's certificate is not valid now nor at a later proof of existence: ", "时间戳机构的证书现在不在有效期内，也没有更晚的存在性证明："}} {
		if strings.HasPrefix(reason, pre[0]) {
			return pre[1] + ReasonText(strings.TrimPrefix(reason, pre[0]), lang)
		}
	}
	// An OFD time stamp that proves no time (ofd.go checkSESTimestamp).
	if r, ok := strings.CutSuffix(reason, "; the signing time is the signer's"); ok {
		return ReasonText(r, lang) + "；签署时间来自签章人"
	}
	for _, t := range reasonTexts() {
		m := t.en.FindStringSubmatchIndex(reason)
		if m == nil {
			continue
		}
		out := string(t.en.ExpandString(nil, t.zh, reason, m))
		if strings.HasPrefix(reason, "signature timestamp: ") {
			out = "签名时间戳：" + ReasonText(strings.TrimPrefix(reason, "signature timestamp: "), lang)
		}
		return out
	}
	return reason
}
