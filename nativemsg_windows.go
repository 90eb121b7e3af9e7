package main

import (
	"syscall"
	"unsafe"
)

// showNativeMessage shows a modal Windows message box (user32 MessageBoxW) with an error icon
// (Windows draws every script; latin is for the platforms that cannot).
func showNativeMessage(title, text, latin string) {
	const mbOK, mbIconError, mbSetForeground = 0x0, 0x10, 0x10000
	t, err1 := syscall.UTF16PtrFromString(title)
	m, err2 := syscall.UTF16PtrFromString(text)
	if err1 != nil || err2 != nil {
		return
	}
	syscall.NewLazyDLL("user32.dll").NewProc("MessageBoxW").Call(0,
		uintptr(unsafe.Pointer(m)), uintptr(unsafe.Pointer(t)), mbOK|mbIconError|mbSetForeground)
}
