package ui

// A date box of 指定签署位置 is signed with the date drawn as an image that fills the box.

// isDateField reports whether a field was placed as a 日期 box ("r1-date-1", "R1.date1").
func isDateField(name string) bool { return fieldKind(name) == boxDate }
