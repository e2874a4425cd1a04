package orders

// FastPlaced reads the count of checkouts placed in one round trip.
func FastPlaced() int64 { return fastPlaced.Load() }

// DebugFast reports why a checkout left the fast path.
func DebugFast(f func(error)) { debugFast = f }
