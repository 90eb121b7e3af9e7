package sign

import (
	"crypto/sha256"
	"fmt"

	"sealdesk/core/pdf"
)

// appearance makes a form XObject of visible size bw×bh showing image (nil: empty), upright on
// a page displayed with the given rotation, and returns its reference.
func (e *editor) appearance(rotate int, bw, bh float64, image []byte, fit FitMode) (pdf.Ref, error) {
	if len(e.caption) > 0 && bw > 0 && bh > 0 {
		return e.captionedAppearance(rotate, bw, bh, image, fit, e.caption)
	}
	if image == nil || bw <= 0 || bh <= 0 {
		return e.formXObject(rotate, bw, bh, nil, nil), nil
	}
	x, err := loadImage(image)
	if err != nil {
		return pdf.Ref{}, err
	}
	return e.appearanceFromXObject(rotate, bw, bh, x, fit)
}

func (e *editor) appearanceFromXObject(rotate int, bw, bh float64, x *imageXObject, fit FitMode) (pdf.Ref, error) {
	img := e.imageRef(x)
	ix, iy, iw, ih := placeImage(fit, bw, bh, x.Width, x.Height)
	content := []byte(fmt.Sprintf("q %s 0 0 %s %s %s cm /Img0 Do Q\n", num(iw), num(ih), num(ix), num(iy)))
	return e.formXObject(rotate, bw, bh, content, pdf.Dict{"XObject": pdf.Dict{"Img0": img}}), nil
}

// imageRef adds the image (and its soft mask) once per update.
func (e *editor) imageRef(x *imageXObject) pdf.Ref {
	key := fmt.Sprintf("%x", sha256.Sum256(x.Data))
	if r, ok := e.imgCache[key]; ok {
		return r
	}
	d := pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Image"),
		"Width": pdf.Int(x.Width), "Height": pdf.Int(x.Height)}
	for k, v := range x.Dict {
		switch t := v.(type) {
		case string:
			d[pdf.Name(k)] = pdf.Name(t)
		case int:
			d[pdf.Name(k)] = pdf.Int(t)
		case []float64:
			var a pdf.Array
			for _, f := range t {
				a = append(a, pdf.Real{Value: f})
			}
			d[pdf.Name(k)] = a
		}
	}
	if x.SMask != nil {
		d["SMask"] = e.u.Add(&pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Image"),
			"Width": pdf.Int(x.Width), "Height": pdf.Int(x.Height), "ColorSpace": pdf.Name("DeviceGray"),
			"BitsPerComponent": pdf.Int(8), "Filter": pdf.Name("FlateDecode")}, Data: x.SMask})
	}
	r := e.u.Add(&pdf.Stream{Dict: d, Data: x.Data})
	e.imgCache[key] = r
	return r
}

// formXObject adds an appearance form with /BBox [0 0 bw bh] and the rotation matrix.
func (e *editor) formXObject(rotate int, bw, bh float64, content []byte, resources pdf.Dict) pdf.Ref {
	m := appearanceMatrix(rotate, bw, bh)
	var ma pdf.Array
	for _, f := range m {
		ma = append(ma, pdf.Real{Value: f})
	}
	d := pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"),
		"BBox": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Real{Value: bw}, pdf.Real{Value: bh}}, "Matrix": ma}
	if resources != nil {
		d["Resources"] = resources
	} else {
		d["Resources"] = pdf.Dict{}
	}
	if content == nil {
		content = []byte{}
	}
	return e.u.Add(&pdf.Stream{Dict: d, Data: content})
}

// num formats a coordinate compactly.
func num(f float64) string {
	s := fmt.Sprintf("%.4f", f)
	for len(s) > 1 && s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	if s == "-0" {
		s = "0"
	}
	return s
}
