package main

import (
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

func run() {
	a := app.NewWithID("com.sealdesk.desktop")
	w := a.NewWindow("SealDesk 电子签约")
	w.SetContent(widget.NewLabel("SealDesk"))
	w.ShowAndRun()
}
