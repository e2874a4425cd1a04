package producttypestest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/leaguepay/checkout/producttypes"
)

// dataChecker checks buyer custom_data against one product config.
type dataChecker struct {
	typ    producttypes.Type
	config json.RawMessage
	schema *producttypes.Schema
}

// valid checks one custom_data that the type must accept.
func (d dataChecker) valid(raw json.RawMessage) []error {
	data, err := decodeObject(raw, true)
	if err != nil {
		return []error{err}
	}
	norm, errs := d.normalize(data)
	if fes := d.schema.Validate(norm, "/custom_data"); len(fes) > 0 {
		return append(errs, fmt.Errorf("buyer schema refused it: %v", fes))
	}
	fields, claims, err := ruleFields(d.typ, d.ruleInput(norm))
	switch {
	case err != nil:
		return append(errs, err)
	case len(fields) > 0:
		return append(errs, fmt.Errorf("CheckRules refused it with fields %v", fields))
	}
	errs = append(errs, checkClaims(claims)...)
	errs = append(errs, d.float64Variant(raw, claims)...)
	return append(errs, d.evidence(norm)...)
}

// invalid checks one custom_data that the type must refuse with exactly
// inv.Fields.
func (d dataChecker) invalid(inv InvalidData) []error {
	data, err := decodeObject(inv.Data, true)
	if err != nil {
		return []error{err}
	}
	norm, errs := d.normalize(data)
	got := fieldsOf(d.schema.Validate(norm, "/custom_data"))
	if len(got) == 0 {
		got, _, err = ruleFields(d.typ, d.ruleInput(norm))
		if err != nil {
			return append(errs, err)
		}
	}
	if err := sameFields(got, inv.Fields); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// normalize runs the type's Normalizer, when it has one, on a copy of data
// and checks that normalizing the result again changes nothing.
func (d dataChecker) normalize(data map[string]any) (map[string]any, []error) {
	n, ok := d.typ.(producttypes.Normalizer)
	if !ok {
		return data, nil
	}
	once := n.Normalize(d.config, deepCopy(data).(map[string]any))
	if once == nil {
		return data, []error{errors.New("normalizing returned nil")}
	}
	twice := n.Normalize(d.config, deepCopy(once).(map[string]any))
	if !reflect.DeepEqual(once, twice) {
		return once, []error{fmt.Errorf("normalizing is not idempotent: once %s, twice %s", show(once), show(twice))}
	}
	return once, nil
}

// float64Variant decodes raw with plain encoding/json, as a caller that
// does not use json.Number would, and checks the type treats it the same.
func (d dataChecker) float64Variant(raw json.RawMessage, want []producttypes.Claim) []error {
	data, err := decodeObject(raw, false)
	if err != nil {
		return []error{err}
	}
	norm, _ := d.normalize(data)
	if fes := d.schema.Validate(norm, "/custom_data"); len(fes) > 0 {
		return []error{fmt.Errorf("decoded with float64 numbers, buyer schema refused it: %v", fes)}
	}
	_, claims, err := ruleFields(d.typ, d.ruleInput(norm))
	if err != nil {
		return []error{fmt.Errorf("decoded with float64 numbers: %w", err)}
	}
	if !slices.Equal(claims, want) {
		return []error{fmt.Errorf("decoded with float64 numbers, claims %+v, want %+v", claims, want)}
	}
	return nil
}

func (d dataChecker) ruleInput(data map[string]any) producttypes.RuleInput {
	return producttypes.RuleInput{
		TenantID: tenantID, ProductID: productID, PlayerID: playerID,
		Config: d.config, Data: data,
	}
}

// evidence checks that an Evidencer stamps a non-empty, encodable object.
func (d dataChecker) evidence(data map[string]any) []error {
	e, ok := d.typ.(producttypes.Evidencer)
	if !ok {
		return nil
	}
	in := producttypes.EvidenceInput{Config: d.config, Data: data, ClientIP: clientIP, At: at}
	ev, err := e.Evidence(context.Background(), in)
	switch {
	case err != nil:
		return []error{fmt.Errorf("evidence: %w", err)}
	case len(ev) == 0:
		return []error{errors.New("evidence is an empty object")}
	}
	if _, err := json.Marshal(ev); err != nil {
		return []error{fmt.Errorf("evidence does not encode as JSON: %w", err)}
	}
	return nil
}

// checkClaims checks that every claim names a scope, a value and a field.
func checkClaims(claims []producttypes.Claim) []error {
	var errs []error
	for i, c := range claims {
		if c.Scope == "" || c.Value == "" || !strings.HasPrefix(c.Field, "/") {
			errs = append(errs, fmt.Errorf("claim %d %+v needs a Scope, a Value and a Field pointer", i, c))
		}
	}
	return errs
}

// decodeObject decodes a custom_data object, with json.Number numbers when
// useNumber is set and float64 numbers otherwise.
func decodeObject(raw json.RawMessage, useNumber bool) (map[string]any, error) {
	var v any
	var err error
	if useNumber {
		v, err = producttypes.DecodeJSON(raw)
	} else {
		err = json.Unmarshal(raw, &v)
	}
	if err != nil {
		return nil, fmt.Errorf("decode custom_data: %w", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("custom_data %s is not a JSON object", raw)
	}
	return m, nil
}

// deepCopy copies the maps and slices of a decoded JSON value so that a
// Normalizer that edits in place cannot change the suite's inputs.
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, e := range v {
			s[i] = deepCopy(e)
		}
		return s
	default:
		return v
	}
}

// show renders a value with its Go types, since idempotence failures are
// often a number that changed type.
func show(v map[string]any) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(v)) {
		fmt.Fprintf(&b, "%s=%#v ", k, v[k])
	}
	return strings.TrimSpace(b.String())
}
