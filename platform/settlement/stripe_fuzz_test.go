package settlement

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"
)

const fuzzSecret = "whsec_fuzz0123456789"

// fuzzTenant is the tenant the corpus's sessions name in metadata.tenant_id.
var fuzzTenant = uuid.MustParse("0b3c5a7e-6f1d-4c2b-9a8e-2d4f6b8c0e1a")

// FuzzEvent signs arbitrary payloads with the endpoint's secret, so that
// they pass verification and reach the parsing and the decision of what the
// event asks of the orders. Whatever the payload: nothing panics; a payload
// under a wrong signature is ErrBadSignature; a signed one is an event or
// ErrBadPayload, never another error; a verified event's id, type and
// account can be stored; and decide is deterministic and consistent with the
// event's type and object.
func FuzzEvent(f *testing.F) {
	f.Fuzz(func(t *testing.T, payload []byte) {
		signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{
			Payload: payload, Secret: fuzzSecret, Timestamp: time.Now()})
		if _, err := verify(payload, signed.Header, "whsec_another"); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("under another secret: %v, want ErrBadSignature", err)
		}
		event, err := verify(payload, signed.Header, fuzzSecret)
		if err != nil {
			if !errors.Is(err, ErrBadPayload) {
				t.Fatalf("signed payload refused with %v, want ErrBadPayload", err)
			}
			return
		}
		for what, s := range map[string]string{"id": event.ID, "type": string(event.Type), "account": event.Account} {
			if !fitsText(s) {
				t.Errorf("verified event's %s %q cannot be stored", what, s)
			}
		}
		s := decide(fuzzTenant, event)
		if again := decide(fuzzTenant, event); again != s {
			t.Fatalf("decide is not deterministic: %+v, then %+v", s, again)
		}
		checkStep(t, event, s)
	})
}

// checkStep checks that a step is one the event's type and object allow.
func checkStep(t *testing.T, event stripe.Event, s step) {
	t.Helper()
	if s.kind == stepIgnore {
		if s != (step{}) {
			t.Errorf("an ignored event carries %+v", s)
		}
		return
	}
	if !fitsText(s.paymentIntent) {
		t.Errorf("step %+v: payment intent %q cannot be stored", s, s.paymentIntent)
	}
	var obj object
	if err := json.Unmarshal(event.Data.Raw, &obj); err != nil {
		t.Fatalf("step %+v from an object that does not decode: %v", s, err)
	}
	if s.kind == stepRefunded {
		if event.Type != "charge.refunded" || s.paymentIntent == "" || s.orderID != uuid.Nil {
			t.Errorf("%s gave the refund step %+v", event.Type, s)
		}
		return
	}
	want := map[stepKind][]stripe.EventType{
		stepNone:    {"checkout.session.completed"},
		stepPaid:    {"checkout.session.completed", "checkout.session.async_payment_succeeded"},
		stepFailed:  {"checkout.session.async_payment_failed"},
		stepExpired: {"checkout.session.expired"},
	}[s.kind]
	if !slices.Contains(want, event.Type) {
		t.Errorf("%s gave step kind %d", event.Type, s.kind)
	}
	if s.kind == stepPaid && event.Type == "checkout.session.completed" && obj.PaymentStatus != "paid" {
		t.Errorf("a completed session with payment_status %q marks the order paid", obj.PaymentStatus)
	}
	if obj.Metadata["tenant_id"] != fuzzTenant.String() {
		t.Errorf("step %+v for an event of tenant %q", s, obj.Metadata["tenant_id"])
	}
	named := obj.Metadata["order_id"]
	if named == "" {
		named = obj.ClientReferenceID
	}
	if id, err := uuid.Parse(named); err != nil || id != s.orderID {
		t.Errorf("step %+v for an event naming the order %q", s, named)
	}
}

// fitsText reports whether PostgreSQL can store s as text and keep it in a
// btree index: valid UTF-8, no U+0000, and well under the index entry limit
// (about 2.7 kB).
func fitsText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0) && len(s) <= 2000
}
