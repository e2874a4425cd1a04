package producttypes

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
)

// PanicError is what a guarded call into a product type returns when the
// type's code panicked: the platform fails only the request (or the job)
// that made the call, never the process. Stack is for the log; it is never
// shown to a client.
type PanicError struct {
	Type       string // the product type's name
	Capability string // which call panicked ("normalize", "check_rules", …)
	Value      any    // what was passed to panic
	Stack      []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("producttypes: type %s panicked in %s: %v", e.Type, e.Capability, e.Value)
}

// The functions below are the platform's only way into a type's code after
// registration. Each runs one capability, if the type has it, and turns a
// panic into a *PanicError.

// recoverInto is deferred by every guarded call.
func recoverInto(typ Type, capability string, err *error) {
	if v := recover(); v != nil {
		*err = &PanicError{Type: safeName(typ), Capability: capability, Value: v, Stack: debug.Stack()}
	}
}

func safeName(typ Type) (name string) {
	defer func() {
		if recover() != nil {
			name = fmt.Sprintf("%T", typ)
		}
	}()
	return typ.Info().Name
}

// DecodeConfigOf decodes a product's config (one that passed the config
// schema) with the type's ConfigDecoder, if it has one: the Config every
// other capability is given. The platform calls it once per product
// version.
func DecodeConfigOf(typ Type, raw json.RawMessage) (cfg Config, err error) {
	cfg.Raw = raw
	d, ok := typ.(ConfigDecoder)
	if !ok {
		return cfg, nil
	}
	defer recoverInto(typ, "decode_config", &err)
	cfg.Value, err = d.DecodeConfig(raw)
	return cfg, err
}

// emptyBuyerSchema is the buyer schema of a type that takes no data.
var emptyBuyerSchema = json.RawMessage(`{"type":"object","additionalProperties":false}`)

// BuyerSchemaOf runs the type's BuyerSchemer, if it has one; a type without
// one takes no data (an empty object).
func BuyerSchemaOf(typ Type, cfg Config) (schema json.RawMessage, err error) {
	bs, ok := typ.(BuyerSchemer)
	if !ok {
		return emptyBuyerSchema, nil
	}
	defer recoverInto(typ, "buyer_schema", &err)
	return bs.BuyerSchema(cfg)
}

// NormalizeData runs the type's Normalizer, if it has one; data is returned
// unchanged otherwise.
func NormalizeData(typ Type, cfg Config, data map[string]any) (out map[string]any, err error) {
	n, ok := typ.(Normalizer)
	if !ok {
		return data, nil
	}
	defer recoverInto(typ, "normalize", &err)
	return n.Normalize(cfg, data), nil
}

// ValidateProductOf runs the type's ProductValidator, if it has one.
func ValidateProductOf(typ Type, in ProductInput) (fields []FieldError, err error) {
	pv, ok := typ.(ProductValidator)
	if !ok {
		return nil, nil
	}
	defer recoverInto(typ, "validate_product", &err)
	return pv.ValidateProduct(in), nil
}

// CheckRulesOf runs the type's RuleChecker, if it has one.
func CheckRulesOf(ctx context.Context, typ Type, in RuleInput) (fields []FieldError, claims []Claim, err error) {
	rc, ok := typ.(RuleChecker)
	if !ok {
		return nil, nil, nil
	}
	defer recoverInto(typ, "check_rules", &err)
	return rc.CheckRules(ctx, in)
}

// EvidenceOf runs the type's Evidencer, if it has one (nil, nil otherwise).
func EvidenceOf(ctx context.Context, typ Type, in EvidenceInput) (evidence map[string]any, err error) {
	ev, ok := typ.(Evidencer)
	if !ok {
		return nil, nil
	}
	defer recoverInto(typ, "evidence", &err)
	return ev.Evidence(ctx, in)
}

// OnPaidOf runs the type's PaidHook, if it has one.
func OnPaidOf(ctx context.Context, typ Type, order PaidOrder) (err error) {
	hook, ok := typ.(PaidHook)
	if !ok {
		return nil
	}
	defer recoverInto(typ, "on_paid", &err)
	return hook.OnPaid(ctx, order)
}

// HasPaidHook reports whether typ acts on payment.
func HasPaidHook(typ Type) bool {
	_, ok := typ.(PaidHook)
	return ok
}
