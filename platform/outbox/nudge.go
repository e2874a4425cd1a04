package outbox

// Nudger wakes this process's dispatcher right after a commit that wrote
// events, so they are handed on at once instead of at the next poll. A
// nudge is a hint, never needed for correctness: a lost one only costs a
// poll, and nudges that come while the dispatcher is busy fold into one.
type Nudger struct{ c chan struct{} }

// NewNudger returns a nudger for one dispatcher.
func NewNudger() *Nudger { return &Nudger{c: make(chan struct{}, 1)} }

// Nudge wakes the dispatcher; it never blocks.
func (n *Nudger) Nudge() {
	select {
	case n.c <- struct{}{}:
	default:
	}
}
