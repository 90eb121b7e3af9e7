package verify

import "sealdesk/core/pdf"

// maxJudgedAnnotations bounds the annotations one signature's change analysis judges as added
// or changed after signing. Each is judged on its own (flags, actions, the syntax gate over its
// appearance, what it covers) and is drawn by the cover check's renderer, so time and memory
// grow with their number: 45,000 one-point squares added in one update took 15 s of CPU and
// 1.25 GB, and three such updates ended the process inside the renderer's WebAssembly memory
// (red team s7 G3), against issue 13's budget of 2 s and the file size + 64 MB. Real changes
// after signing — signature widgets, notes, highlights, stamps, filled fields — are tens to a
// few hundred. Over it the file is refused with a *pdf.LimitError naming MaxJudgedAnnotations.
const maxJudgedAnnotations = 1000

// maxRenderedAnnotations bounds the annotations on a page the cover check renders (in the
// signed revision or now, checkAppearanceBudget): PDFium draws every one, in both revisions, so
// a page that held thousands before signing costs seconds once a single annotation is added —
// 5,000 small squares took 2.1 s of CPU and +132 MB of heap, 1,500 take 0.36 s and +41 MB. Over
// it the page's changes are reported as too complex to judge (ChangeTooComplex, key
// MaxRenderedAnnotations).
const maxRenderedAnnotations = 1500

// judgeAnnot counts an annotation the analysis judges as added or changed; false means the
// budget is spent: the analysis stops judging annotations and the verification ends with the
// limit error (its verdict would rest on a partial judgement).
func (a *analysis) judgeAnnot() bool {
	if a.v.judgeLimit != nil {
		return false
	}
	a.judgedAnnots++
	if a.judgedAnnots > maxJudgedAnnotations {
		a.v.judgeLimit = &pdf.LimitError{Limit: "MaxJudgedAnnotations", Max: maxJudgedAnnotations, Got: int64(a.judgedAnnots)}
		return false
	}
	return true
}
