package seal

import (
	"errors"
	"fmt"
	"image/color"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"sealdesk/core/ids"
)

// Style is the kind of seal, which fixes its shape, title, centre mark and fonts.
type Style uint8

// The seal styles of SPEC §4. Their String is the sealctl --style word.
const (
	Official   Style = iota // 公章: round, star, name on the upper arc
	Contract                // 合同专用章: round, title 合同专用章
	Special                 // 专用章 with a given title (人事专用章, 业务专用章 …)
	Department              // 部门章: round, the department name as the title
	League                  // 团章: round, star or none (no emblem)
	Union                   // 工会章: round with a double border, star or none (no emblem)
	Foreign                 // 外企章（中文）: oval, never a star
	Invoice                 // 发票专用章: oval 40×30, taxpayer number across the middle
	Finance                 // 财务专用章: round or square
)

var styleNames = [...]string{"official", "contract", "special", "department", "league", "union", "foreign", "invoice", "finance"}

// Styles lists every style in order, for menus and tests.
var Styles = []Style{Official, Contract, Special, Department, League, Union, Foreign, Invoice, Finance}

func (s Style) String() string {
	if int(s) < len(styleNames) {
		return styleNames[s]
	}
	return "style(" + strconv.Itoa(int(s)) + ")"
}

// Chinese returns the style's name as the manuals write it.
func (s Style) Chinese() string {
	return [...]string{"公章", "合同专用章", "专用章", "部门章", "团章", "工会章", "外企章", "发票专用章", "财务专用章"}[s]
}

// ParseStyle reads a sealctl --style word.
func ParseStyle(w string) (Style, error) {
	for i, n := range styleNames {
		if strings.EqualFold(w, n) {
			return Style(i), nil
		}
	}
	return 0, fmt.Errorf("unknown seal style %q (want one of %s): %w", w, strings.Join(styleNames[:], ", "), ErrInvalidSpec)
}

// Shape is the outline of a seal.
type Shape uint8

// The seal outlines.
const (
	Round Shape = iota + 1
	Oval
	Square
)

func (s Shape) String() string {
	switch s {
	case Round:
		return "round"
	case Oval:
		return "oval"
	case Square:
		return "square"
	}
	return "shape(" + strconv.Itoa(int(s)) + ")"
}

// Size is a seal's outer size in millimetres. Only the presets of SPEC §4 exist: round Ø38, 40,
// 42, 45; oval 40×30, 45×30; square 22, 25.
type Size struct {
	Shape Shape
	W, H  float64 // mm; equal for round (the diameter) and square seals
}

func (z Size) String() string {
	switch z.Shape {
	case Round:
		return fmt.Sprintf("Ø%g mm", z.W)
	case Oval:
		return fmt.Sprintf("%g×%g mm oval", z.W, z.H)
	case Square:
		return fmt.Sprintf("%g×%g mm square", z.W, z.H)
	}
	return "no size"
}

// Flag is the sealctl --size spelling of z.
func (z Size) Flag() string {
	if z.Shape == Round {
		return strconv.FormatFloat(z.W, 'f', -1, 64)
	}
	return strconv.FormatFloat(z.W, 'f', -1, 64) + "x" + strconv.FormatFloat(z.H, 'f', -1, 64)
}

// The size presets.
var (
	Round38  = Size{Round, 38, 38}
	Round40  = Size{Round, 40, 40}
	Round42  = Size{Round, 42, 42}
	Round45  = Size{Round, 45, 45}
	Oval40   = Size{Oval, 40, 30}
	Oval45   = Size{Oval, 45, 30}
	Square22 = Size{Square, 22, 22}
	Square25 = Size{Square, 25, 25}
)

// Sizes lists every preset.
var Sizes = []Size{Round38, Round40, Round42, Round45, Oval40, Oval45, Square22, Square25}

// ParseSize reads "42" (round Ø42), "40x30" (oval) or "22"/"22x22" (square).
func ParseSize(s string) (Size, error) {
	s = strings.ToLower(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "mm")))
	ws, hs, two := strings.Cut(strings.ReplaceAll(s, "×", "x"), "x")
	w, err1 := strconv.ParseFloat(strings.TrimSpace(ws), 64)
	h := w
	var err2 error
	if two {
		h, err2 = strconv.ParseFloat(strings.TrimSpace(hs), 64)
	}
	if err1 == nil && err2 == nil {
		for _, z := range Sizes {
			if z.W == w && z.H == h && (z.Shape == Square || two == (z.Shape == Oval)) {
				return z, nil
			}
		}
	}
	names := make([]string, len(Sizes))
	for i, z := range Sizes {
		names[i] = z.Flag()
	}
	return Size{}, fmt.Errorf("unknown seal size %q (want one of %s): %w", s, strings.Join(names, ", "), ErrInvalidSpec)
}

// Font is the Chinese face a seal is drawn in. Digits and Latin letters always use the
// Arial-compatible face.
type Font uint8

// The faces.
const (
	FontDefault  Font = iota // Song for round and square seals, FangSong for ovals (the rules)
	FontSong                 // 宋体 (Noto Serif CJK SC Bold)
	FontFangSong             // 仿宋 (or the face assets has standing in for it)
	FontHei                  // 黑体 (Noto Sans CJK SC Bold)
)

// SealRed is the default ink colour.
var SealRed = color.NRGBA{R: 0xE6, G: 0x00, B: 0x12, A: 0xFF}

// Spec describes a designed seal. The zero values of Size, Title and Color mean the style's
// defaults. Equal specs always render to identical pixels.
type Spec struct {
	Style Style
	Size  Size   // zero: the style's default size
	Name  string // the enterprise (or organisation) name, along the upper arc
	// Title is the horizontal text under the centre: required for Special and Department (the
	// department's name); Contract, Invoice and Finance default to their fixed titles.
	Title string
	// Code is the 信息编码 (normally the unified social credit code) along the lower arc of a
	// round seal; for Invoice it is the taxpayer number straight across the middle (required).
	Code   string
	NoStar bool        // leave the centre empty (Foreign, Invoice and square seals never have one)
	Color  color.NRGBA // zero: SealRed
	Font   Font        // zero: the face the rules give the shape
}

// Input limits, checked before any layout work.
const (
	MaxNameBytes  = 300 // a name longer than this is refused before counting glyphs
	MaxTitleBytes = 120
	MaxCodeLen    = 20
)

// Sentinel errors; errors.Is finds them inside the typed errors below.
var (
	// ErrInvalidSpec wraps every refusal of a Spec.
	ErrInvalidSpec = errors.New("invalid seal spec")
	// ErrFonts means the embedded fonts could not be read (a broken build, never user input).
	ErrFonts = errors.New("seal fonts unavailable")
)

// FieldError is a refusal of one input field with a reason.
type FieldError struct {
	Field  string // "name", "title", "code", "size", "style"
	Reason string
}

func (e *FieldError) Error() string { return "seal " + e.Field + ": " + e.Reason }
func (e *FieldError) Unwrap() error { return ErrInvalidSpec }

// TooLongError refuses text that does not fit legibly even with the narrowest allowed glyphs;
// Max is the most characters that size holds.
type TooLongError struct {
	Field    string // "name", "title" or "code"
	Size     Size
	Len, Max int
}

func (e *TooLongError) Error() string {
	return fmt.Sprintf("seal %s has %d characters; a %s seal holds at most %d", e.Field, e.Len, e.Size, e.Max)
}
func (e *TooLongError) Unwrap() error { return ErrInvalidSpec }

// MissingGlyphsError refuses characters the seal's font does not have.
type MissingGlyphsError struct {
	Field string
	Runes []rune
}

func (e *MissingGlyphsError) Error() string {
	q := make([]string, len(e.Runes))
	for i, r := range e.Runes {
		q[i] = fmt.Sprintf("%q (U+%04X)", r, r)
	}
	return fmt.Sprintf("seal %s: the font has no glyph for %s", e.Field, strings.Join(q, ", "))
}
func (e *MissingGlyphsError) Unwrap() error { return ErrInvalidSpec }

// WarningCode says what a Warning is about.
type WarningCode uint8

// Warning codes.
const (
	// WarnCodeCheck: an 18-character code fails the GB 32100 check character; some early legal
	// codes do (Fujian pilot codes), so the seal is drawn anyway.
	WarnCodeCheck WarningCode = iota + 1
	// WarnCodeLegacy: the code is not an 18-character unified social credit code (an old
	// 15- or 20-character taxpayer number, or a 13-digit seal record number).
	WarnCodeLegacy
)

// Warning is a problem the seal was drawn despite; the designer shows it to the user.
type Warning struct {
	Code    WarningCode
	Message string
}

func (w Warning) String() string { return w.Message }

// style properties
type styleInfo struct {
	def        Size
	shapes     []Shape // allowed shapes
	title      string  // fixed default title
	needTitle  bool
	star       bool // draws a star unless NoStar
	doubleRing bool
	codeMiddle bool // Code goes across the middle (invoice) and is required
}

func (s Style) info() styleInfo {
	switch s {
	case Official:
		return styleInfo{def: Round40, shapes: []Shape{Round}, star: true}
	case Contract:
		return styleInfo{def: Round40, shapes: []Shape{Round}, title: "合同专用章", star: true}
	case Special:
		return styleInfo{def: Round40, shapes: []Shape{Round}, needTitle: true, star: true}
	case Department:
		return styleInfo{def: Round40, shapes: []Shape{Round}, needTitle: true, star: true}
	case League:
		return styleInfo{def: Round40, shapes: []Shape{Round}, star: true}
	case Union:
		return styleInfo{def: Round42, shapes: []Shape{Round}, star: true, doubleRing: true}
	case Foreign:
		return styleInfo{def: Oval45, shapes: []Shape{Oval}}
	case Invoice:
		return styleInfo{def: Oval40, shapes: []Shape{Oval}, title: "发票专用章", codeMiddle: true}
	case Finance:
		return styleInfo{def: Round38, shapes: []Shape{Round, Square}, title: "财务专用章", star: true}
	}
	return styleInfo{}
}

// normalized is a checked Spec with defaults filled in.
type normalized struct {
	Spec
	info        styleInfo
	name, title []rune
	code        string
	star        bool
}

// cleanText trims, folds runs of white space and refuses control and invisible characters.
func cleanText(field, s string, maxBytes int) ([]rune, error) {
	if len(s) > maxBytes {
		return nil, &FieldError{field, fmt.Sprintf("%d bytes is more than the %d allowed", len(s), maxBytes)}
	}
	if !utf8.ValidString(s) {
		return nil, &FieldError{field, "not valid UTF-8"}
	}
	var out []rune
	space := false
	for _, r := range strings.TrimSpace(s) {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Co, r) || unicode.Is(unicode.Cs, r) || unicode.Is(unicode.Mn, r):
			return nil, &FieldError{field, fmt.Sprintf("character U+%04X cannot be engraved", r)}
		}
		if space {
			out = append(out, ' ')
			space = false
		}
		out = append(out, r)
	}
	return out, nil
}

func (s Spec) normalize() (*normalized, []Warning, error) {
	if int(s.Style) >= len(styleNames) {
		return nil, nil, &FieldError{"style", fmt.Sprintf("unknown style %d", s.Style)}
	}
	n := &normalized{Spec: s, info: s.Style.info()}
	if n.Size == (Size{}) {
		n.Size = n.info.def
	}
	known := false
	for _, z := range Sizes {
		known = known || z == n.Size
	}
	okShape := false
	for _, sh := range n.info.shapes {
		okShape = okShape || sh == n.Size.Shape
	}
	if !known || !okShape || (s.Style == Invoice && n.Size != Oval40) {
		var allowed []string
		for _, z := range Sizes {
			for _, sh := range n.info.shapes {
				if z.Shape == sh && (s.Style != Invoice || z == Oval40) {
					allowed = append(allowed, z.Flag())
				}
			}
		}
		return nil, nil, &FieldError{"size", fmt.Sprintf("a %s seal cannot be %s (allowed: %s)", s.Style, n.Size, strings.Join(allowed, ", "))}
	}
	if n.Font > FontHei {
		return nil, nil, &FieldError{"font", fmt.Sprintf("unknown font %d", n.Font)}
	}
	if n.Color == (color.NRGBA{}) {
		n.Color = SealRed
	}
	var err error
	if n.name, err = cleanText("name", s.Name, MaxNameBytes); err != nil {
		return nil, nil, err
	}
	if len(n.name) == 0 {
		return nil, nil, &FieldError{"name", "empty"}
	}
	if n.title, err = cleanText("title", s.Title, MaxTitleBytes); err != nil {
		return nil, nil, err
	}
	if len(n.title) == 0 {
		if n.info.needTitle {
			return nil, nil, &FieldError{"title", "required for a " + s.Style.String() + " seal"}
		}
		n.title = []rune(n.info.title)
	}
	n.star = n.info.star && !s.NoStar && n.Size.Shape == Round
	var warns []Warning
	code := strings.ToUpper(strings.TrimSpace(s.Code))
	if code != "" || n.info.codeMiddle {
		w, err := checkCode(code, n.info.codeMiddle)
		if err != nil {
			return nil, nil, err
		}
		warns = append(warns, w...)
	}
	if code != "" && n.Size.Shape == Square {
		return nil, nil, &FieldError{"code", "a square seal has no room for a code"}
	}
	n.code = code
	return n, warns, nil
}

// checkCode validates a 信息编码 or taxpayer number: refuses bad characters and lengths, warns
// on a failed GB 32100 check or a legacy length.
func checkCode(code string, taxpayer bool) ([]Warning, error) {
	if code == "" {
		return nil, &FieldError{"code", "the invoice seal needs the taxpayer number"}
	}
	if n := utf8.RuneCountInString(code); n > MaxCodeLen {
		return nil, &FieldError{"code", fmt.Sprintf("%d characters is more than the %d allowed", n, MaxCodeLen)}
	}
	for _, r := range code {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z') {
			return nil, &FieldError{"code", fmt.Sprintf("%q is not a digit or capital letter", r)}
		}
	}
	switch {
	case len(code) == 18:
		cc, err := ids.ValidateCreditCode(code)
		if err != nil {
			return []Warning{{WarnCodeCheck, err.Error() + "; drawn anyway because some early codes are legal without it"}}, nil
		}
		if cc.Warning != "" {
			return []Warning{{WarnCodeCheck, cc.Warning}}, nil
		}
		return nil, nil
	case taxpayer && (len(code) == 15 || len(code) == 17 || len(code) == 20):
		return []Warning{{WarnCodeLegacy, fmt.Sprintf("%d-character taxpayer number is a legacy format; the unified social credit code has 18", len(code))}}, nil
	case taxpayer:
		return nil, &FieldError{"code", fmt.Sprintf("a taxpayer number has 15, 17, 18 or 20 characters, not %d", len(code))}
	default:
		return []Warning{{WarnCodeLegacy, fmt.Sprintf("%d-character code is not a unified social credit code (18 characters)", len(code))}}, nil
	}
}

// MarshalText writes the sealctl word, so stored specs read well.
func (s Style) MarshalText() ([]byte, error) {
	if int(s) >= len(styleNames) {
		return nil, fmt.Errorf("unknown seal style %d: %w", s, ErrInvalidSpec)
	}
	return []byte(s.String()), nil
}

// UnmarshalText reads a sealctl word.
func (s *Style) UnmarshalText(b []byte) error {
	v, err := ParseStyle(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// MarshalText writes the --size spelling ("42", "40x30", "22x22"; "" for the zero size).
func (z Size) MarshalText() ([]byte, error) {
	if z == (Size{}) {
		return []byte{}, nil
	}
	if z.Shape == Square {
		return []byte(strconv.FormatFloat(z.W, 'f', -1, 64) + "x" + strconv.FormatFloat(z.H, 'f', -1, 64)), nil
	}
	return []byte(z.Flag()), nil
}

// UnmarshalText reads the --size spelling; "" is the zero size (the style's default).
func (z *Size) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*z = Size{}
		return nil
	}
	v, err := ParseSize(string(b))
	if err != nil {
		return err
	}
	*z = v
	return nil
}

// Sizes lists the sizes a style may be drawn at, its default first.
func (s Style) Sizes() []Size {
	info := s.info()
	out := []Size{info.def}
	for _, z := range Sizes {
		if z != info.def && slicesContainsShape(info.shapes, z.Shape) && (s != Invoice || z == Oval40) {
			out = append(out, z)
		}
	}
	return out
}

// Defaults reports what a style fills in: its fixed title ("" when the user gives it), whether
// the title is required, and whether it draws a centre star.
func (s Style) Defaults() (title string, titleRequired, star bool) {
	info := s.info()
	return info.title, info.needTitle, info.star
}

func slicesContainsShape(ss []Shape, v Shape) bool {
	for _, x := range ss {
		if x == v {
			return true
		}
	}
	return false
}
