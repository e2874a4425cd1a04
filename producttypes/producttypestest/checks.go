package producttypestest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/leaguepay/checkout/platform/catalog"
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
	pl := newPlatform(typ, reg)
	for i, ic := range c.InvalidConfigs {
		add(fmt.Sprintf("invalid_configs[%d] (%s)", i, ic.Name), checkInvalidConfig(pl, ic))
	}
	if c.Config == nil {
		return errs
	}
	d, cfgErrs := checkConfig(pl, c)
	add("config", cfgErrs)
	if d == nil {
		return errs
	}
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

// checkConfig runs a case's config through the platform's product
// validation and returns the checker of its custom_data, or nil when there
// is no buyer schema to check custom_data against.
func checkConfig(pl platform, c Case) (*dataChecker, []error) {
	var errs []error
	var p catalog.Product
	var fields []producttypes.FieldError
	err := protect(func() {
		var err error
		p, fields, err = pl.product(c.Config, c.PriceCents, c.Currency)
		if err != nil {
			errs = append(errs, fmt.Errorf("product validation: %w", err))
		}
	})
	if err != nil || len(errs) > 0 {
		return nil, append(errs, err)
	}
	if len(fields) > 0 {
		return nil, []error{fmt.Errorf("config is refused: %v", fieldsOf(fields))}
	}
	cfg, err := pl.config(p)
	if err != nil {
		return nil, []error{err}
	}
	second, err := producttypes.BuyerSchemaOf(pl.typ, cfg)
	if err != nil {
		return nil, []error{fmt.Errorf("BuyerSchema: %w", err)}
	}
	if !bytes.Equal(p.CustomFields, second) {
		errs = append(errs, errors.New("BuyerSchema is not deterministic: two calls gave different bytes"))
	}
	if err := checkObjectSchema(p.CustomFields, false); err != nil {
		errs = append(errs, fmt.Errorf("BuyerSchema: %w", err))
	}
	schema, err := pl.catalog.BuyerSchema(p)
	if err != nil {
		return nil, append(errs, fmt.Errorf("BuyerSchema: %w", err))
	}
	return &dataChecker{pl: pl, product: p, cfg: cfg, schema: schema}, errs
}

// configFields returns the fields the platform refuses a product config
// for, as a product write would.
func configFields(pl platform, config json.RawMessage, price int64, currency string) ([]string, error) {
	var fes []producttypes.FieldError
	err := protect(func() {
		var err error
		_, fes, err = pl.product(config, price, currency)
		if err != nil {
			panic(err)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("validate config: %w", err)
	}
	return fieldsOf(fes), nil
}

func checkInvalidConfig(pl platform, ic InvalidConfig) []error {
	currency := ic.Currency
	if currency == "" {
		currency = "usd"
	}
	got, err := configFields(pl, ic.Config, ic.PriceCents, currency)
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

// ruleFields runs CheckRules (through the platform's guarded call) and
// returns its sorted field pointers and claims.
func ruleFields(typ producttypes.Type, in producttypes.RuleInput) ([]string, []producttypes.Claim, error) {
	fes, claims, err := producttypes.CheckRulesOf(context.Background(), typ, in)
	if err != nil {
		return nil, nil, fmt.Errorf("CheckRules: %w", err)
	}
	return fieldsOf(fes), claims, nil
}
