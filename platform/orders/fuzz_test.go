package orders

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/ids"
)

// FuzzDecodeCursor decodes arbitrary cursors. Nothing panics; a cursor
// that does not decode is the listing's bad filter "cursor" (a 400 on
// query:cursor); one that does
// names a position whose own cursor decodes to the same position and
// encodes to the same string again.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(Filter{}.encodeCursor(Order{CreatedAt: time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC), ID: ids.New()}))
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Filter{}.decodeCursor(s)
		if err != nil {
			var bad *apperr.BadFilter
			if !errors.As(err, &bad) || len(bad.Filters) != 1 || bad.Filters[0].Field != "cursor" {
				t.Fatalf("decodeCursor(%q) = %v, want a bad filter named cursor", s, err)
			}
			if c != (cursor{}) {
				t.Errorf("a refused cursor gave the position %+v", c)
			}
			return
		}
		if c.ID == uuid.Nil || c.CreatedAt.IsZero() {
			t.Fatalf("decodeCursor(%q) accepted the empty position %+v", s, c)
		}
		enc := Filter{}.encodeCursor(Order{CreatedAt: c.CreatedAt, ID: c.ID})
		again, err := Filter{}.decodeCursor(enc)
		if err != nil {
			t.Fatalf("the cursor %q of position %+v does not decode: %v", enc, c, err)
		}
		if again.ID != c.ID || !again.CreatedAt.Equal(c.CreatedAt) {
			t.Fatalf("position %+v came back as %+v", c, again)
		}
		if enc2 := (Filter{}).encodeCursor(Order{CreatedAt: again.CreatedAt, ID: again.ID}); enc2 != enc {
			t.Fatalf("cursor %q encodes again as %q", enc, enc2)
		}
	})
}
