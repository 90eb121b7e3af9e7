// Command sealdesk is the SealDesk desktop application: it wires the local store, the core
// services and the embedded backend to the Fyne user interface, and nothing else.
package main

func main() {
	run()
}
