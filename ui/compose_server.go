package ui

// The envelope editor's server half: sending, syncing drafts, the enterprise's members. Until
// the contracts API is on main these say that sending needs the server.

func (v *composeScreen) loadMembers() {}

func (v *composeScreen) syncDraft() {}

func (v *composeScreen) sendToServer(d *envelopeDraft) {
	v.say(tr("compose.err.nosession"), true)
}
