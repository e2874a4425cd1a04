// Package ids makes and parses the platform's identifiers: UUIDs, version 7
// (time-ordered, so new rows land at the end of their indexes).
package ids

import (
	"errors"

	"github.com/google/uuid"
)

// ErrMalformed is returned by Parse for anything but a canonical UUID.
var ErrMalformed = errors.New("ids: not a canonical UUID")

// New returns a new time-ordered id.
func New() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// Parse accepts only the canonical 36-character form
// (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx); uuid.Parse alone would also take
// braces, a urn:uuid: prefix or no dashes, and one id must have one spelling.
func Parse(s string) (uuid.UUID, error) {
	if len(s) != 36 {
		return uuid.Nil, ErrMalformed
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, ErrMalformed
	}
	return id, nil
}
