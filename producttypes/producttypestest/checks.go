package producttypestest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/leaguepay/checkout/producttypes"
)

// checkCase runs every check of one case file and returns the failures,
// each prefixed with the file name and the entry it concerns.
func checkCase(typ producttypes.Type, reg *producttypes.Registry, c Case) []error {
	var errs []error
	add := func(where string, list []error) {
		for _, err := range list {
			errs = append(errs, fmt.Errorf("%s: %s: %w", c.file, where, err))
		}
	}
	for i, ic := range c.InvalidConfigs {
		add(fmt.Sprintf("invalid_configs[%d] (%s)", i, ic.Name), checkInvalidConfig(typ, reg, ic))
	}
	if c.Config == nil {
		return errs
	}
	schema, cfgErrs := checkConfig(typ, reg, c)
	add("config", cfgErrs)
	if schema == nil {
		return errs
	}
	d := dataChecker{typ: typ, config: c.Config, schema: schema}
	for i, raw := range c.Valid {
		add(fmt.Sprintf("valid[%d]", i), collect(func() []error { return d.valid(raw) }))
	}
	for i, inv := range c.Invalid {
		add(fmt.Sprintf("invalid[%d]", i), collect(func() []error { return d.invalid(inv) }))
	}
	return errs
}

// collect runs fn and turns a panic in it into one more failure.
func collect(fn func() []error) []error {
	var errs []error
	if err := protect(func() { errs = fn() }); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// checkConfig checks a case's config and returns its compiled buyer schema,
// or nil when there is none to check custom_data against.
func checkConfig(typ producttypes.Type, reg *producttypes.Registry, c Case) (*producttypes.Schema, []error) {
	var errs []error
	fields, err := configFields(typ, reg, c.Config, c.PriceCents, c.Currency)
	if err != nil {
		return nil, []error{err}
	}
	if len(fields) > 0 {
		errs = append(errs, fmt.Errorf("config is refused: %v", fields))
	}
	var first, second json.RawMessage
	var err1, err2 error
	if err := protect(func() {
		first, err1 = typ.BuyerSchema(c.Config)
		second, err2 = typ.BuyerSchema(c.Config)
	}); err != nil {
		return nil, append(errs, fmt.Errorf("BuyerSchema: %w", err))
	}
	if err := errors.Join(err1, err2); err != nil {
		return nil, append(errs, fmt.Errorf("BuyerSchema: %w", err))
	}
	if !bytes.Equal(first, second) {
		errs = append(errs, errors.New("BuyerSchema is not deterministic: two calls gave different bytes"))
	}
	if err := checkObjectSchema(first, false); err != nil {
		errs = append(errs, fmt.Errorf("BuyerSchema: %w", err))
	}
	schema, err := producttypes.CompileSchema(first)
	if err != nil {
		return nil, append(errs, fmt.Errorf("BuyerSchema: %w", err))
	}
	return schema, errs
}

// configFields returns the fields the platform would refuse a product
// config for: the config schema's, or when it passes, ValidateProduct's.
func configFields(typ producttypes.Type, reg *producttypes.Registry, config json.RawMessage, price int64, currency string) ([]string, error) {
	var fes []producttypes.FieldError
	err := protect(func() {
		var err error
		fes, err = reg.ValidateConfig(typ.Name(), config, "/config")
		if err != nil || len(fes) > 0 {
			return
		}
		if pv, ok := typ.(producttypes.ProductValidator); ok {
			fes = pv.ValidateProduct(producttypes.ProductInput{PriceCents: price, Currency: currency, Config: config})
		}
	})
	if err != nil {
		return nil, fmt.Errorf("validate config: %w", err)
	}
	return fieldsOf(fes), nil
}

func checkInvalidConfig(typ producttypes.Type, reg *producttypes.Registry, ic InvalidConfig) []error {
	currency := ic.Currency
	if currency == "" {
		currency = "usd"
	}
	got, err := configFields(typ, reg, ic.Config, ic.PriceCents, currency)
	if err != nil {
		return []error{err}
	}
	if err := sameFields(got, ic.Fields); err != nil {
		return []error{err}
	}
	return nil
}

// fieldsOf returns the sorted, de-duplicated fields of fes.
func fieldsOf(fes []producttypes.FieldError) []string {
	fields := make([]string, 0, len(fes))
	for _, fe := range fes {
		fields = append(fields, fe.Field)
	}
	slices.Sort(fields)
	return slices.Compact(fields)
}

// sameFields compares the fields a check produced with the fields a case
// expects, ignoring order and repeats.
func sameFields(got, want []string) error {
	w := slices.Compact(slices.Sorted(slices.Values(want)))
	if len(got) == 0 {
		return fmt.Errorf("was accepted, want refused with fields %v", w)
	}
	if !slices.Equal(got, w) {
		return fmt.Errorf("refused with fields %v, want %v", got, w)
	}
	return nil
}

// ruleFields runs CheckRules when the type has it and returns its sorted
// field pointers and claims.
func ruleFields(typ producttypes.Type, in producttypes.RuleInput) ([]string, []producttypes.Claim, error) {
	rc, ok := typ.(producttypes.RuleChecker)
	if !ok {
		return nil, nil, nil
	}
	fes, claims, err := rc.CheckRules(context.Background(), in)
	if err != nil {
		return nil, nil, fmt.Errorf("CheckRules: %w", err)
	}
	return fieldsOf(fes), claims, nil
}
