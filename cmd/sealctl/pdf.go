package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"sealdesk/core/pdf"
)

// pdfInfo is the JSON shape of `sealctl pdf info --json`.
type pdfInfo struct {
	File          string      `json:"file"`
	Size          int64       `json:"size"`
	Version       string      `json:"version"`
	Linearized    bool        `json:"linearized"`
	Reconstructed bool        `json:"reconstructed,omitempty"`
	Revisions     []revInfo   `json:"revisions"`
	TrailingBytes int64       `json:"trailing_bytes,omitempty"`
	TrailingJunk  bool        `json:"trailing_junk,omitempty"`
	Pages         []pageInfo  `json:"pages"`
	Fields        []fieldInfo `json:"fields"`
	Signatures    []sigInfo   `json:"signatures"`
	Errors        []string    `json:"errors,omitempty"`
}

type revInfo struct {
	Index      int      `json:"index"`
	XRefOffset int64    `json:"xref_offset"`
	End        int64    `json:"end"`
	XRefStream bool     `json:"xref_stream"`
	Hybrid     bool     `json:"hybrid,omitempty"`
	Linearized bool     `json:"linearized,omitempty"`
	Defined    int      `json:"defined"`
	Changed    int      `json:"changed"`
	Freed      int      `json:"freed"`
	Anomalies  []string `json:"anomalies,omitempty"`
}

type pageInfo struct {
	Number   int        `json:"number"`
	Object   int        `json:"object"`
	MediaBox [4]float64 `json:"media_box"`
	CropBox  [4]float64 `json:"crop_box"`
	Rotate   int        `json:"rotate"`
	Width    float64    `json:"visible_width"`
	Height   float64    `json:"visible_height"`
}

type widgetInfo struct {
	Page int        `json:"page"`
	Rect [4]float64 `json:"rect"`
}

type fieldInfo struct {
	Name    string       `json:"name"`
	Type    string       `json:"type"`
	Object  int          `json:"object,omitempty"`
	Signed  bool         `json:"signed,omitempty"`
	Value   string       `json:"value,omitempty"`
	Widgets []widgetInfo `json:"widgets"`
}

type sigInfo struct {
	Object    int      `json:"object"`
	Revision  int      `json:"revision"`
	Fields    []string `json:"fields,omitempty"`
	Type      string   `json:"type,omitempty"`
	SubFilter string   `json:"sub_filter,omitempty"`
	ByteRange []int64  `json:"byte_range,omitempty"`
	Contents  int      `json:"contents_bytes"`
	Time      string   `json:"time,omitempty"`
	Name      string   `json:"name,omitempty"`
	Reason    string   `json:"reason,omitempty"`
}

func rect4(r pdf.Rect) [4]float64 { return [4]float64{r.LLX, r.LLY, r.URX, r.URY} }

// runPDF implements `sealctl pdf info FILE [--json]`: pages, boxes, rotation, fields and
// signatures, plus the revision structure. Exit 0 on success, 1 when the file cannot be read,
// 2 on usage errors.
func runPDF(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "info" {
		fmt.Fprintln(stderr, "usage: sealctl pdf info FILE [--json]")
		return 2
	}
	fs := flag.NewFlagSet("pdf info", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	// Accept the flag before or after the file name.
	var files []string
	rest := args[1:]
	for len(rest) > 0 {
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		rest = fs.Args()
		if len(rest) > 0 {
			files = append(files, rest[0])
			rest = rest[1:]
		}
	}
	if len(files) != 1 {
		fmt.Fprintln(stderr, "usage: sealctl pdf info FILE [--json]")
		return 2
	}
	info, err := collectInfo(files[0])
	if err != nil {
		if errors.Is(err, pdf.ErrEncrypted) {
			fmt.Fprintf(stderr, "sealctl pdf: %s: encrypted document, cannot be signed; remove the password first (加密文档无法签署，请先解除密码保护)\n", files[0])
		} else {
			fmt.Fprintf(stderr, "sealctl pdf: %v\n", err)
		}
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(info); err != nil {
			fmt.Fprintf(stderr, "sealctl pdf: %v\n", err)
			return 1
		}
		return 0
	}
	printInfo(stdout, info)
	return 0
}

func collectInfo(path string) (*pdfInfo, error) {
	f, err := pdf.OpenFile(path, nil)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	v := f.Latest()
	info := &pdfInfo{File: path, Size: f.Size(), Version: v.Version(), Linearized: f.Linearized(), Reconstructed: f.Reconstructed(),
		Pages: []pageInfo{}, Fields: []fieldInfo{}, Signatures: []sigInfo{}}
	for _, r := range f.Revisions() {
		info.Revisions = append(info.Revisions, revInfo{Index: r.Index, XRefOffset: r.XRefOffset, End: r.End, XRefStream: r.XRefStream,
			Hybrid: r.Hybrid, Linearized: r.Linearized, Defined: len(r.Defined), Changed: len(r.Changed), Freed: len(r.Freed), Anomalies: r.Anomalies})
	}
	if sp, junk := f.Tail(); sp.Len() > 0 {
		info.TrailingBytes, info.TrailingJunk = sp.Len(), junk
	}
	pages, err := v.Pages()
	if err != nil {
		info.Errors = append(info.Errors, fmt.Sprintf("pages: %v", err))
	}
	for _, p := range pages {
		w, h := p.VisibleSize()
		info.Pages = append(info.Pages, pageInfo{Number: p.Number, Object: p.Ref.Num, MediaBox: rect4(p.MediaBox), CropBox: rect4(p.CropBox), Rotate: p.Rotate, Width: w, Height: h})
	}
	fields, err := v.Fields()
	if err != nil {
		info.Errors = append(info.Errors, fmt.Sprintf("fields: %v", err))
	}
	for _, fl := range fields {
		fi := fieldInfo{Name: fl.Name, Type: string(fl.Type), Object: fl.Ref.Num, Widgets: []widgetInfo{}}
		switch x := fl.Value.(type) {
		case pdf.Ref:
			if fl.IsSignature() {
				fi.Signed = pdf.IsSigDict(v.Dict(x))
			}
		case pdf.String:
			fi.Value = x.Text()
		case pdf.Name:
			fi.Value = "/" + string(x)
		}
		for _, w := range fl.Widgets {
			fi.Widgets = append(fi.Widgets, widgetInfo{Page: w.Page, Rect: rect4(w.Rect)})
		}
		info.Fields = append(info.Fields, fi)
	}
	sigs, _, err := f.FindSigDicts()
	if err != nil {
		info.Errors = append(info.Errors, fmt.Sprintf("signatures: %v", err))
	}
	for _, s := range sigs {
		si := sigInfo{Object: s.Ref.Num, Revision: s.Revision, Fields: s.Fields, Type: string(s.Dict.NameOf("Type")), SubFilter: string(s.Dict.NameOf("SubFilter"))}
		if br, ok := s.Dict.Get("ByteRange").(pdf.Array); ok {
			for _, x := range br {
				n, _ := pdf.IntOf(x)
				si.ByteRange = append(si.ByteRange, n)
			}
		}
		if c, ok := s.Dict.Get("Contents").(pdf.String); ok {
			si.Contents = len(c.Bytes)
		}
		for key, dst := range map[pdf.Name]*string{"M": &si.Time, "Name": &si.Name, "Reason": &si.Reason} {
			if x, ok := s.Dict.Get(key).(pdf.String); ok {
				*dst = x.Text()
			}
		}
		info.Signatures = append(info.Signatures, si)
	}
	return info, nil
}

func printInfo(w io.Writer, in *pdfInfo) {
	fmt.Fprintf(w, "file:       %s (%d bytes)\n", in.File, in.Size)
	fmt.Fprintf(w, "version:    PDF %s", in.Version)
	if in.Linearized {
		fmt.Fprint(w, ", linearized")
	}
	if in.Reconstructed {
		fmt.Fprint(w, ", cross-reference data rebuilt from the bytes")
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "revisions:  %d\n", len(in.Revisions))
	for _, r := range in.Revisions {
		kind := "table"
		switch {
		case r.XRefStream:
			kind = "xref stream"
		case r.Hybrid:
			kind = "hybrid"
		}
		fmt.Fprintf(w, "  %d: xref at %d (%s), ends at %d; %d new, %d changed, %d freed objects\n", r.Index, r.XRefOffset, kind, r.End, r.Defined, r.Changed, r.Freed)
		for _, a := range r.Anomalies {
			fmt.Fprintf(w, "     ! %s\n", a)
		}
	}
	if in.TrailingBytes > 0 {
		what := "white space"
		if in.TrailingJunk {
			what = "CONTENT"
		}
		fmt.Fprintf(w, "  ! %d bytes (%s) after the last %%%%EOF\n", in.TrailingBytes, what)
	}
	fmt.Fprintf(w, "pages:      %d\n", len(in.Pages))
	for _, p := range in.Pages {
		fmt.Fprintf(w, "  %d: media %s crop %s rotate %d → %g × %g pt\n", p.Number, fmtRect(p.MediaBox), fmtRect(p.CropBox), p.Rotate, p.Width, p.Height)
	}
	fmt.Fprintf(w, "fields:     %d\n", len(in.Fields))
	for _, f := range in.Fields {
		var ws []string
		for _, wg := range f.Widgets {
			ws = append(ws, fmt.Sprintf("page %d %s", wg.Page, fmtRect(wg.Rect)))
		}
		state := f.Value
		if f.Type == "Sig" {
			state = "empty"
			if f.Signed {
				state = "signed"
			}
		}
		fmt.Fprintf(w, "  %s [%s] %s %s\n", f.Name, f.Type, state, strings.Join(ws, ", "))
	}
	fmt.Fprintf(w, "signatures: %d\n", len(in.Signatures))
	for _, s := range in.Signatures {
		fields := strings.Join(s.Fields, ", ")
		if fields == "" {
			fields = "(no field)"
		}
		fmt.Fprintf(w, "  object %d, revision %d, %s: %s %s byte range %v, %d bytes of /Contents, time %s\n",
			s.Object, s.Revision, fields, s.Type, s.SubFilter, s.ByteRange, s.Contents, s.Time)
	}
	for _, e := range in.Errors {
		fmt.Fprintf(w, "error: %s\n", e)
	}
}

func fmtRect(r [4]float64) string {
	return fmt.Sprintf("[%g %g %g %g]", r[0], r[1], r[2], r[3])
}
