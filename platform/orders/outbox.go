package orders

import (
	"github.com/google/uuid"

	"github.com/leaguepay/checkout/platform/ids"
	"github.com/leaguepay/checkout/platform/outbox"
)

// The events an order change writes to the outbox, in the transaction of the
// change. Their data is the order as the API shows it (orderJSON), at the
// change.
const (
	EventCreated  = "order.created"
	EventPaid     = "order.paid"
	EventCanceled = "order.canceled"
	EventExpired  = "order.expired"
	EventRefunded = "order.refunded"
	// EventFailed is written for the order's history and metrics; leagues
	// cannot subscribe to it (API.md lists what they can).
	EventFailed = "order.failed"
)

// eventTypes are the events of a change from from (nil: a new order) to to.
// A new order that is paid at once (a free product, an import) is both
// created and paid.
func eventTypes(from *Status, to Status) []string {
	var types []string
	if from == nil {
		types = append(types, EventCreated)
		if to != StatusPaid {
			return types
		}
	}
	switch to {
	case StatusPaid:
		types = append(types, EventPaid)
	case StatusCanceled:
		types = append(types, EventCanceled)
	case StatusExpired:
		types = append(types, EventExpired)
	case StatusFailed:
		types = append(types, EventFailed)
	case StatusPartiallyRefunded, StatusRefunded:
		types = append(types, EventRefunded)
	}
	return types
}

// eventParams are the ids and types of a change's events, as the two array
// parameters eventsCTE reads.
func eventParams(from *Status, to Status) ([]uuid.UUID, []string) {
	types := eventTypes(from, to)
	evIDs := make([]uuid.UUID, len(types))
	for i := range evIDs {
		evIDs[i] = ids.New()
	}
	return evIDs, types
}

// eventsCTE writes the events of one change of the order that source
// (a CTE or a table, under the alias o, with where to pick the order) holds
// for tenant $1: idsParam and typesParam are the placeholders of
// eventParams' arrays, fromExpr the SQL of the previous status (NULL for a
// new order). The order's JSON is rendered once, in the CTE oj (id, j),
// which the statement's later CTEs may use too.
func eventsCTE(source, where, fromExpr, idsParam, typesParam string) string {
	return `oj AS MATERIALIZED (SELECT o.id, ` + orderJSON + ` AS j FROM ` + source + ` ` + where + `),
	` + outbox.WriteCTE("ev", `SELECT $1::uuid, e.id, e.type, oj.id, `+fromExpr+`, oj.j
		FROM oj, unnest(`+idsParam+`::uuid[], `+typesParam+`::text[]) AS e (id, type)`)
}

// orderJSON renders the order under the alias o as the API shows it (Order's
// JSON, without its history); TestOutboxEvents holds the two together.
const orderJSON = `jsonb_build_object(
	'id', o.id, 'product_id', o.product_id,
	'product_name', coalesce((SELECT p.name FROM products p WHERE p.tenant_id = $1 AND p.id = o.product_id), ''),
	'product_type', o.product_type, 'category', o.category, 'customer_id', o.customer_id, 'player_id', o.player_id,
	'player_name', coalesce((SELECT pl.first_name || ' ' || pl.last_name FROM players pl
		WHERE pl.tenant_id = $1 AND pl.id = o.player_id), ''),
	'status', o.status, 'checkout_id', o.checkout_id, 'price_cents', o.amount_cents + o.discount_cents,
	'discount_cents', o.discount_cents, 'amount_cents', o.amount_cents, 'amount_refunded_cents', o.amount_refunded_cents,
	'currency', o.currency, 'custom_data', o.custom_data, 'schema_version', o.schema_version,
	'checkout_url', o.checkout_url, 'stripe_checkout_session_id', o.stripe_checkout_session_id,
	'created_at', to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
	'updated_at', to_char(o.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
	'paid_at', to_char(o.paid_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
	|| CASE WHEN o.evidence IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('evidence', o.evidence) END
	|| CASE WHEN o.stripe_payment_intent_id IS NULL THEN '{}'::jsonb
		ELSE jsonb_build_object('stripe_payment_intent_id', o.stripe_payment_intent_id) END`
