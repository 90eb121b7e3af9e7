package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"sealdesk/assets"
)

// Theme is Fyne's default theme with the embedded Noto Sans CJK SC subset as the text face, so
// Chinese renders the same on machines without Chinese fonts. Monospace and symbols stay Fyne's.
type Theme struct {
	regular, bold fyne.Resource
	variant       *fyne.ThemeVariant // forced light or dark (screenshots); nil follows the system
}

var _ fyne.Theme = (*Theme)(nil)

// NewTheme returns the SealDesk theme.
func NewTheme() *Theme {
	return &Theme{
		regular: fyne.NewStaticResource("NotoSansSC-Regular-subset.otf", assets.SansRegular),
		bold:    fyne.NewStaticResource("NotoSansSC-Bold-subset.otf", assets.SansBold),
	}
}

// NewThemeVariant returns the SealDesk theme always in variant (theme.VariantLight or
// theme.VariantDark), whatever the system prefers.
func NewThemeVariant(variant fyne.ThemeVariant) *Theme {
	t := NewTheme()
	t.variant = &variant
	return t
}

// Font returns the CJK face for regular and bold text (CJK has no italic: italic uses upright).
func (t *Theme) Font(style fyne.TextStyle) fyne.Resource {
	switch {
	case style.Monospace, style.Symbol:
		return theme.DefaultTheme().Font(style)
	case style.Bold:
		return t.bold
	default:
		return t.regular
	}
}

func (t *Theme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if t.variant != nil {
		v = *t.variant
	}
	return theme.DefaultTheme().Color(n, v)
}

func (t *Theme) Icon(n fyne.ThemeIconName) fyne.Resource {
	return theme.DefaultTheme().Icon(n)
}

func (t *Theme) Size(n fyne.ThemeSizeName) float32 {
	return theme.DefaultTheme().Size(n)
}
