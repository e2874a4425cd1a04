// Package keyset is the opaque cursor of the admin listings (orders,
// households): a keyset position on (created_at, id), newest first, and a
// digest of the filters it was issued for, so a cursor reused with other
// filters is refused instead of answered with a page of another listing.
package keyset

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/leaguepay/checkout/platform/apperr"
)

// Position is the row a page ended with: the next page starts after it.
type Position struct {
	CreatedAt time.Time `json:"t"`
	ID        uuid.UUID `json:"i"`
	Filters   string    `json:"f,omitempty"`
}

// Digest names a listing's filter values; "" when every one is empty (an
// unfiltered listing's cursors carry no digest).
func Digest(values ...string) string {
	if strings.Join(values, "") == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(strings.Join(values, "\x00")))
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}

// Encode is the cursor of the page after the row at (createdAt, id) of the
// listing whose filters have this digest.
func Encode(createdAt time.Time, id uuid.UUID, filters string) string {
	b, _ := json.Marshal(Position{CreatedAt: createdAt, ID: id, Filters: filters})
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode reads a cursor of the listing whose filters have this digest: a
// cursor this API did not make, or made for other filters, is a 400 on
// query:cursor.
func Decode(s, filters string) (Position, error) {
	var p Position
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &p)
	}
	if err != nil || p.ID == uuid.Nil || p.CreatedAt.IsZero() {
		return Position{}, &apperr.BadFilter{Detail: "bad cursor", Filters: apperr.Filter("cursor", "is not a cursor this API returned")}
	}
	if p.Filters != filters {
		return Position{}, &apperr.BadFilter{Detail: "bad cursor",
			Filters: apperr.Filter("cursor", "was issued for other filters: repeat the filters of the page it came from")}
	}
	return p, nil
}
