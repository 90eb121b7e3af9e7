package ui

import (
	"sync"

	"fyne.io/fyne/v2"

	"sealdesk/ui/widgets"
)

// uiQueue hands a screen's worker results to the UI goroutine. In the app that is fyne.Do (or
// fyne.DoAndWait when the worker must wait for it); in test mode the results wait in a queue that
// drain applies on the test's goroutine, because Fyne's test driver runs fyne.Do on the calling
// worker, where widget changes and translation lookups would race with the test. It follows
// widgets.PageView.DeferUpdatesForTest.
type uiQueue struct {
	andWait  bool // use fyne.DoAndWait instead of fyne.Do
	mu       sync.Mutex
	deferred bool
	pending  []func()
}

// run applies f on the UI goroutine, or queues it in test mode.
func (q *uiQueue) run(f func()) {
	q.mu.Lock()
	if q.deferred {
		q.pending = append(q.pending, f)
		q.mu.Unlock()
		return
	}
	q.mu.Unlock()
	if q.andWait {
		fyne.DoAndWait(f)
	} else {
		fyne.Do(f)
	}
}

// deferForTest switches to test mode: results queue until drain.
func (q *uiQueue) deferForTest() {
	q.mu.Lock()
	q.deferred = true
	q.mu.Unlock()
}

// testMode reports whether deferForTest was called.
func (q *uiQueue) testMode() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.deferred
}

// drain waits for the work counted by wg and applies the queued results on the calling goroutine,
// until no work and no result is left (a result may start more work). For tests only, never on
// the UI goroutine of an app.
func (q *uiQueue) drain(wg *sync.WaitGroup) {
	for {
		wg.Wait()
		if q == &workers {
			testUIMu.Lock()
			applyViews()
			testUIMu.Unlock()
		}
		q.mu.Lock()
		p := q.pending
		q.pending = nil
		q.mu.Unlock()
		if len(p) == 0 {
			return
		}
		for _, f := range p {
			if q == &workers {
				testUIMu.Lock()
				f()
				testUIMu.Unlock()
			} else {
				f()
			}
		}
	}
}

// newPageView is widgets.NewPageView for the screens of this package. In this package's tests
// the view queues its workers' results (DeferUpdatesForTest) and the test applies them with the
// screens' (waitUntil, waitFor, drainWorkers), as it applies uiDo's: Fyne's test driver would run
// them on the worker, racing with the test (a race detector run found thumbnails of 发起签约's
// page view written from a worker while the test laid the list out).
func newPageView() *widgets.PageView {
	pv := widgets.NewPageView()
	if workers.testMode() {
		pv.DeferUpdatesForTest()
		testViews.mu.Lock()
		testViews.list = append(testViews.list, pv)
		testViews.mu.Unlock()
	}
	return pv
}

// testViews are the page views newPageView made in test mode, whose queued results drainWorkers
// applies.
var testViews struct {
	mu   sync.Mutex
	list []*widgets.PageView
}

// applyViews applies the results the test-mode page views queued so far.
func applyViews() {
	testViews.mu.Lock()
	l := append([]*widgets.PageView(nil), testViews.list...)
	testViews.mu.Unlock()
	for _, pv := range l {
		pv.ApplyQueued()
	}
}

// testUIMu serializes, in this package's tests, the queued results the test applies (drain,
// lookLocked) with each other.
var testUIMu sync.Mutex

// uiDoWait is fyne.DoAndWait for worker goroutines: the worker waits until f has run on the UI
// goroutine. In this package's tests f is queued like uiDo's and the test applies it on its own
// goroutine (waitUntil, waitFor, the panels' Wait): Fyne's test driver runs DoAndWait on the
// calling worker, where f would race with the test's own taps and looks (CI crashed on "concurrent
// map writes" in a RichText that way). Callers therefore do nothing after uiDoWait that needs f's
// effects: it is their goroutine's last step.
func uiDoWait(f func()) {
	if !workers.testMode() {
		fyne.DoAndWait(f)
		return
	}
	workers.run(f)
}

// workers is the queue of the screens whose worker goroutines report through uiDo. Tests of this
// package put it in test mode (TestMain) and waitUntil applies its results on the test's
// goroutine; the app and other packages' tests get fyne.Do.
var workers uiQueue

// uiDo hands f from a worker goroutine to the UI goroutine (fyne.Do), or, in this package's
// tests, to the queue that waitUntil and drainWorkers apply.
func uiDo(f func()) { workers.run(f) }

// drainWorkers applies the results queued so far, without waiting for work still running (a
// result may queue more; those wait for the next call). For tests only.
func drainWorkers() {
	for {
		applyViews()
		workers.mu.Lock()
		p := workers.pending
		workers.pending = nil
		workers.mu.Unlock()
		if len(p) == 0 {
			return
		}
		for _, f := range p {
			f()
		}
	}
}
