// Package ui is SealDesk's desktop interface: the main window's shell with its navigation, one
// file per screen, the theme with the embedded CJK fonts, and the translations (简体中文 first,
// English second) through Fyne's lang package.
//
// It gets every service through the small interfaces in services.go and never touches a store, a
// database or the network itself; main.go wires the concrete services in. Widgets are touched only
// on the UI goroutine: background work reports back with fyne.Do.
//
// # Adding a screen
//
// Write one file with a struct that keeps its widgets as fields and a constructor
// `func newXScreen(s *Shell) Screen`, then add one line to registry() in shell.go. The
// navigation shows only screens that are in that table: there are no "coming soon" placeholders.
// Switching the language rebuilds every screen; a screen that holds state worth keeping (the open
// document) implements Handoff(next Screen) to pass it to its replacement.
package ui
