package widgets

import (
	"strings"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// CJKLabel is a wrapped label that breaks Chinese text by the rules of Chinese typesetting
// (避头尾): no line starts with closing punctuation (。，、；：？！）」…) and none ends with an
// opening one. Fyne's word wrap breaks only at spaces and otherwise at any character, so a
// sentence's "。" could start a line. Latin words are still broken at spaces only.
//
// It is a widget.Label whose text is broken into lines for its width (Wrapping off, lines joined
// by newlines); set the text with SetText, not the Text field.
type CJKLabel struct {
	widget.Label
	source string
	width  float32
}

// NewCJKLabel returns a label wrapping text.
func NewCJKLabel(text string) *CJKLabel {
	l := &CJKLabel{source: text}
	l.Label.Text = text
	l.ExtendBaseWidget(l)
	return l
}

// SetText replaces the text and wraps it for the current width.
func (l *CJKLabel) SetText(text string) {
	l.source = text
	l.rewrap()
}

// Source is the text as set (without the line breaks the label adds).
func (l *CJKLabel) Source() string { return l.source }

// Resize wraps the text for the new width.
func (l *CJKLabel) Resize(s fyne.Size) {
	if s.Width != l.width {
		l.width = s.Width
		l.rewrap()
	}
	l.Label.Resize(s)
}

// MinSize is as narrow as a few characters (the text wraps) and as high as its lines.
func (l *CJKLabel) MinSize() fyne.Size {
	m := l.Label.MinSize()
	return fyne.NewSize(min(m.Width, 4*theme.TextSize()+2*theme.InnerPadding()), m.Height)
}

func (l *CJKLabel) rewrap() {
	text := l.source
	if l.width > 0 {
		avail := l.width - 2*theme.InnerPadding()
		style := l.TextStyle
		size := theme.TextSize()
		if l.SizeName != "" {
			size = theme.Size(l.SizeName)
		}
		text = WrapCJK(l.source, func(s string) float32 { return fyne.MeasureText(s, size, style).Width }, avail)
	}
	if text != l.Label.Text {
		l.Label.SetText(text)
	}
}

// noLineStart are characters a line must not start with; noLineEnd, characters it must not end
// with (GB/T 15834 and common practice).
const (
	noLineStart = "。，、；：？！）》」』】〕〉”’…—·.,;:?!)]}%％"
	noLineEnd   = "（《「『【〔〈“‘([{"
)

// WrapCJK breaks text into lines no wider than avail (as measure says), keeping punctuation
// with its neighbour and Latin words whole where they fit; existing newlines stay.
func WrapCJK(text string, measure func(string) float32, avail float32) string {
	if avail <= 0 {
		return text
	}
	var out []string
	for _, para := range strings.Split(text, "\n") {
		r := []rune(para)
		for len(r) > 0 {
			if measure(string(r)) <= avail {
				out = append(out, string(r))
				break
			}
			// the longest prefix that fits (at least one character)
			lo, hi := 1, len(r)
			for lo < hi {
				mid := (lo + hi + 1) / 2
				if measure(string(r[:mid])) <= avail {
					lo = mid
				} else {
					hi = mid - 1
				}
			}
			cut := lo
			// keep closing punctuation off the next line and opening punctuation off this one
			for cut > 1 && (strings.ContainsRune(noLineStart, r[cut]) || strings.ContainsRune(noLineEnd, r[cut-1])) {
				cut--
			}
			// a Latin word or number is not split when a space before it allows
			if isWordRune(r[cut]) && isWordRune(r[cut-1]) {
				for k := cut - 1; k > 0; k-- {
					if r[k] == ' ' {
						cut = k + 1
						break
					}
					if !isWordRune(r[k]) {
						cut = k + 1
						break
					}
				}
			}
			out = append(out, strings.TrimRight(string(r[:cut]), " "))
			r = []rune(strings.TrimLeft(string(r[cut:]), " "))
		}
		if len(r) == 0 && para == "" {
			out = append(out, "")
		}
	}
	return strings.Join(out, "\n")
}

func isWordRune(c rune) bool {
	return c < 0x80 && (unicode.IsLetter(c) || unicode.IsDigit(c) || c == '-' || c == '_' || c == '/' || c == '.')
}
