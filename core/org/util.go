package org

import (
	"encoding/json"
	"sort"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func sortByCreated(vs []Verification) {
	sort.SliceStable(vs, func(i, j int) bool { return vs[i].Created.Before(vs[j].Created) })
}
