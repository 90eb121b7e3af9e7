package main

// The desktop's offline half: the local store (store/desktop) in the data folder, the personal
// keystore over it, and the adapters that hand them to the UI as ui.LocalServices.

import (
	"errors"
	"fmt"
	"path/filepath"

	"sealdesk/core/keystore"
	"sealdesk/store/desktop"
	"sealdesk/ui"
)

// localFile is the local store's file name inside the data folder.
const localFile = "desktop.db"

// desk is the opened offline half; Close releases it.
type desk struct {
	store    *desktop.Store
	services *ui.LocalServices
}

// openDesk opens the local store in dataDir and builds the services over it.
func openDesk(dataDir string) (*desk, error) {
	st, err := desktop.Open(filepath.Join(dataDir, localFile), nil)
	if err != nil {
		return nil, err
	}
	d := &desk{store: st}
	d.services = &ui.LocalServices{
		Prefs:   st,
		Library: library{st},
		Keys:    keystore.New(st, nil),
		Recent:  st,
	}
	return d, nil
}

// Services returns the UI's offline services (nil when the store could not be opened: the
// screens then say what is missing).
func (d *desk) Services() *ui.LocalServices {
	if d == nil {
		return nil
	}
	return d.services
}

// Close closes the local store.
func (d *desk) Close() error {
	if d == nil {
		return nil
	}
	return d.store.Close()
}

// library adapts store/desktop's items to ui.SealLibrary.
type library struct{ st *desktop.Store }

var _ ui.SealLibrary = library{}

func (l library) Items() ([]ui.LibraryItem, error) {
	items, err := l.st.Items()
	if err != nil {
		return nil, err
	}
	out := make([]ui.LibraryItem, 0, len(items))
	for _, it := range items {
		out = append(out, ui.LibraryItem{ID: it.ID, Kind: it.Kind, Name: it.Name, Created: it.Created,
			WidthMM: it.WidthMM, HeightMM: it.HeightMM, PNG: it.PNG, Spec: it.Spec, Strokes: it.Strokes, Original: it.Original})
	}
	return out, nil
}

func (l library) Save(it ui.LibraryItem) (ui.LibraryItem, error) {
	saved, err := l.st.SaveItem(desktop.Item{ID: it.ID, Kind: it.Kind, Name: it.Name, Created: it.Created,
		WidthMM: it.WidthMM, HeightMM: it.HeightMM, PNG: it.PNG, Spec: it.Spec, Strokes: it.Strokes, Original: it.Original})
	if err != nil {
		return ui.LibraryItem{}, err
	}
	it.ID, it.Created = saved.ID, saved.Created
	return it, nil
}

func (l library) Delete(id string) error {
	err := l.st.DeleteItem(id)
	if errors.Is(err, desktop.ErrNotFound) {
		return fmt.Errorf("seal or signature %s is gone: %w", id, err)
	}
	return err
}
