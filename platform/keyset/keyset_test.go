package keyset_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/keyset"
)

func TestCursors(t *testing.T) {
	at, id := time.Date(2026, 12, 1, 9, 0, 0, 123000, time.UTC), uuid.New()
	paid := keyset.Digest("paid", "")
	t.Run("a cursor decodes to its position with the filters it was made for", func(t *testing.T) {
		p, err := keyset.Decode(keyset.Encode(at, id, paid), paid)
		if err != nil || p.ID != id || !p.CreatedAt.Equal(at) {
			t.Errorf("got %+v, %v", p, err)
		}
	})
	t.Run("an unfiltered listing has no digest", func(t *testing.T) {
		if d := keyset.Digest("", "", ""); d != "" {
			t.Errorf("digest %q", d)
		}
	})
	for name, c := range map[string]struct{ cursor, filters string }{
		"with other filters":   {keyset.Encode(at, id, paid), keyset.Digest("pending", "")},
		"without its filters":  {keyset.Encode(at, id, paid), ""},
		"that is not base64":   {"!!!", ""},
		"of an empty position": {keyset.Encode(time.Time{}, uuid.Nil, ""), ""},
	} {
		t.Run("a cursor "+name+" is a bad filter named cursor", func(t *testing.T) {
			_, err := keyset.Decode(c.cursor, c.filters)
			var bad *apperr.BadFilter
			if !errors.As(err, &bad) || bad.Filters[0].Field != "cursor" {
				t.Errorf("err %v", err)
			}
		})
	}
}
