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

	"github.com/leaguepay/checkout/platform/catalog"
	"github.com/leaguepay/checkout/producttypes"
)

// dataChecker checks buyer custom_data against one product, as the
// platform validates a checkout's.
type dataChecker struct {
	pl      platform
	product catalog.Product
	cfg     producttypes.Config
	schema  *producttypes.Schema
}

// valid checks one custom_data that the type must accept.
func (d dataChecker) valid(raw json.RawMessage) []error {
	data, err := decodeObject(raw, true)
	if err != nil {
		return []error{err}
	}
	_, errs := d.normalize(data)
	norm, fields, err := d.pl.data(d.product, raw)
	if err != nil {
		return append(errs, err)
	}
	if len(fields) > 0 {
		return append(errs, fmt.Errorf("the checkout's validation refused it: %v", fields))
	}
	fieldPtrs, claims, err := ruleFields(d.pl.typ, d.ruleInput(norm))
	switch {
	case err != nil:
		return append(errs, err)
	case len(fieldPtrs) > 0:
		return append(errs, fmt.Errorf("CheckRules refused it with fields %v", fieldPtrs))
	}
	errs = append(errs, checkClaims(claims)...)
	errs = append(errs, d.float64Variant(raw, claims)...)
	return append(errs, d.evidence(norm)...)
}

// invalid checks one custom_data that the type must refuse with exactly
// inv.Fields.
func (d dataChecker) invalid(inv InvalidData) []error {
	norm, fes, err := d.pl.data(d.product, inv.Data)
	if err != nil {
		return []error{err}
	}
	got := fieldsOf(fes)
	if len(got) == 0 {
		got, _, err = ruleFields(d.pl.typ, d.ruleInput(norm))
		if err != nil {
			return []error{err}
		}
	}
	if err := sameFields(got, inv.Fields); err != nil {
		return []error{err}
	}
	return nil
}

// normalize runs the type's Normalizer on a copy of data and checks that
// normalizing the result again changes nothing.
func (d dataChecker) normalize(data map[string]any) (map[string]any, []error) {
	if _, ok := d.pl.typ.(producttypes.Normalizer); !ok {
		return data, nil
	}
	once, err := producttypes.NormalizeData(d.pl.typ, d.cfg, deepCopy(data).(map[string]any))
	if err != nil {
		return data, []error{err}
	}
	if once == nil {
		return data, []error{errors.New("normalizing returned nil")}
	}
	twice, err := producttypes.NormalizeData(d.pl.typ, d.cfg, deepCopy(once).(map[string]any))
	if err != nil {
		return once, []error{err}
	}
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
	_, claims, err := ruleFields(d.pl.typ, d.ruleInput(norm))
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
		Config: d.cfg, Data: data,
	}
}

// evidence checks that an Evidencer stamps a non-empty, encodable object.
func (d dataChecker) evidence(data map[string]any) []error {
	if _, ok := d.pl.typ.(producttypes.Evidencer); !ok {
		return nil
	}
	in := producttypes.EvidenceInput{Config: d.cfg, Data: data, ClientIP: clientIP, At: at}
	ev, err := producttypes.EvidenceOf(context.Background(), d.pl.typ, in)
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
