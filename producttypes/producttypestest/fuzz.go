package producttypestest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/leaguepay/checkout/producttypes"
)

// caughtPanic is the message Schema.Validate reports when the validator
// panicked on a value; the fuzz target treats it as a failure of the type
// (its normalizer produced a value JSON never holds) or of the schema code.
const caughtPanic = "holds a value that cannot be validated"

// FuzzCustomData is the fuzz counterpart of Run: from a plugin's test,
//
//	func FuzzCustomData(f *testing.F) {
//		producttypestest.FuzzCustomData(f, jersey.New(), os.DirFS("testdata/cases"))
//	}
//
// it feeds arbitrary bytes, as the custom_data of a checkout, through the
// platform's pipeline against the buyer schema of every case file's config;
// see the package comment for the invariants. The case files' valid and
// invalid entries are added as seeds, next to the corpus in
// testdata/fuzz/FuzzCustomData.
func FuzzCustomData(f *testing.F, typ producttypes.Type, cases fs.FS) {
	f.Helper()
	loaded, err := LoadCases(cases)
	if err != nil {
		f.Fatal(err)
	}
	reg, errs := checkType(typ)
	if reg == nil {
		f.Fatal(errors.Join(errs...))
	}
	var checkers []dataChecker
	for _, c := range loaded {
		if c.Config == nil {
			continue
		}
		d, errs := checkConfig(newPlatform(typ, reg), c)
		if d == nil {
			f.Fatalf("%s: %v", c.file, errors.Join(errs...))
		}
		checkers = append(checkers, *d)
		for _, v := range c.Valid {
			f.Add([]byte(v))
		}
		for _, inv := range c.Invalid {
			f.Add([]byte(inv.Data))
		}
	}
	if len(checkers) == 0 {
		f.Fatal("producttypestest: no case file has a config to fuzz against")
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for i, d := range checkers {
			if err := errors.Join(d.fuzzed(raw)...); err != nil {
				t.Errorf("config %d %s:\n%v", i, d.product.Config, err)
			}
		}
	})
}

// pipelineResult is what the platform's checkout makes of one custom_data:
// the normalized object and the schema's field errors, or notObject when it
// refuses the body before any of that.
type pipelineResult struct {
	notObject bool
	norm      map[string]any
	fields    []producttypes.FieldError
}

// pipeline runs raw through the checkout's own validation (platform/checkout:
// absent or null is {}, an object is required, no U+0000, Normalize, the
// buyer schema with the prefix "/custom_data"); norm is what normalizing
// made of the object, for the field errors' pointers to be resolved in.
func (d dataChecker) pipeline(raw []byte) (pipelineResult, error) {
	if len(raw) == 0 || string(raw) == "null" {
		raw = []byte(`{}`)
	}
	v, err := producttypes.DecodeJSON(raw)
	obj, ok := v.(map[string]any)
	if err != nil || !ok {
		return pipelineResult{notObject: true}, nil
	}
	norm, err := producttypes.NormalizeData(d.pl.typ, d.cfg, deepCopy(obj).(map[string]any))
	if err != nil {
		return pipelineResult{}, err
	}
	if norm == nil {
		return pipelineResult{}, errors.New("normalizing returned nil")
	}
	_, fields, err := d.pl.data(d.product, raw)
	if err != nil {
		return pipelineResult{}, err
	}
	if len(fields) == 1 && fields[0].Message == "must not contain U+0000" {
		return pipelineResult{notObject: true}, nil // refused before the type sees it
	}
	return pipelineResult{norm: norm, fields: fields}, nil
}

// fuzzed checks the invariants of one fuzzed custom_data against d's config.
func (d dataChecker) fuzzed(raw []byte) []error {
	var first, second pipelineResult
	var err1, err2 error
	if err := protect(func() {
		first, err1 = d.pipeline(raw)
		second, err2 = d.pipeline(raw)
	}); err != nil {
		return []error{err}
	}
	if err := errors.Join(err1, err2); err != nil {
		return []error{err}
	}
	if first.notObject {
		return nil
	}
	var errs []error
	if !reflect.DeepEqual(first.norm, second.norm) {
		errs = append(errs, fmt.Errorf("normalizing is not deterministic: %s, then %s", show(first.norm), show(second.norm)))
	}
	if !reflect.DeepEqual(first.fields, second.fields) {
		errs = append(errs, fmt.Errorf("validation is not deterministic: %v, then %v", first.fields, second.fields))
	}
	errs = append(errs, d.unedited(raw)...)
	if again, err := producttypes.NormalizeData(d.pl.typ, d.cfg, deepCopy(first.norm).(map[string]any)); err != nil {
		errs = append(errs, err)
	} else if !reflect.DeepEqual(again, first.norm) {
		errs = append(errs, fmt.Errorf("normalizing is not idempotent: once %s, twice %s", show(first.norm), show(again)))
	}
	errs = append(errs, checkFieldErrors(first.norm, first.fields)...)
	if len(first.fields) > 0 {
		return errs
	}
	// Accepted by the schema: what follows in a checkout must not fail
	// with an error (that is a 500), and the data must encode for storage.
	return append(errs, collect(func() []error { return d.accepted(first.norm) })...)
}

// unedited checks that Normalize leaves its input map as it was.
func (d dataChecker) unedited(raw []byte) []error {
	n, ok := d.pl.typ.(producttypes.Normalizer)
	if !ok {
		return nil
	}
	in, err := decodeObject(raw, true)
	if err != nil {
		return nil // "null" and empty input: there is no map to edit
	}
	before := deepCopy(in)
	n.Normalize(d.cfg, in)
	if !reflect.DeepEqual(any(in), before) {
		return []error{fmt.Errorf("normalizing edited its input: %s became %s", show(before.(map[string]any)), show(in))}
	}
	return nil
}

// accepted runs the rules and evidence of data the schema accepted.
func (d dataChecker) accepted(data map[string]any) []error {
	var errs []error
	if _, ok := d.pl.typ.(producttypes.RuleChecker); ok {
		fes, claims, err := producttypes.CheckRulesOf(context.Background(), d.pl.typ, d.ruleInput(data))
		if err != nil {
			return []error{fmt.Errorf("CheckRules failed on data the schema accepted: %w", err)}
		}
		for _, fe := range fes {
			if fe.Message == "" || !validPointer(fe.Field) {
				errs = append(errs, fmt.Errorf("CheckRules field error %+v needs a JSON Pointer and a message", fe))
			}
		}
		if len(fes) == 0 {
			errs = append(errs, checkClaims(claims)...)
		}
	}
	errs = append(errs, d.evidence(data)...)
	if _, err := json.Marshal(data); err != nil {
		errs = append(errs, fmt.Errorf("accepted data does not encode for storage: %w", err))
	}
	return errs
}

// checkFieldErrors checks that each field error is a JSON Pointer under
// /custom_data that names a place in data: the member itself, or for "is
// required" a member missing from an object that is there. The list must be
// sorted by field and no error may be a panic the validator hid.
func checkFieldErrors(data map[string]any, fields []producttypes.FieldError) []error {
	var errs []error
	for i, fe := range fields {
		if i > 0 && fields[i-1].Field > fe.Field {
			errs = append(errs, fmt.Errorf("field errors are not sorted: %q before %q", fields[i-1].Field, fe.Field))
		}
		if fe.Message == "" || fe.Message == caughtPanic {
			errs = append(errs, fmt.Errorf("field error %+v: the validator failed instead of judging the value", fe))
			continue
		}
		rest, ok := strings.CutPrefix(fe.Field, "/custom_data")
		if !ok || !validPointer(fe.Field) || (rest != "" && rest[0] != '/') {
			errs = append(errs, fmt.Errorf("field error %+v is not a JSON Pointer under /custom_data", fe))
			continue
		}
		if fe.Message == "is required" {
			cut := strings.LastIndexByte(rest, '/')
			if cut < 0 {
				errs = append(errs, fmt.Errorf("field error %+v names no member", fe))
				continue
			}
			parent, found := resolve(data, rest[:cut])
			obj, isObj := parent.(map[string]any)
			if _, present := obj[unescapeToken(rest[cut+1:])]; !found || !isObj || present {
				errs = append(errs, fmt.Errorf("field error %+v does not name a missing member of an object", fe))
			}
			continue
		}
		if _, found := resolve(data, rest); !found {
			errs = append(errs, fmt.Errorf("field error %+v names nothing in the data %s", fe, show(data)))
		}
	}
	return errs
}

// validPointer reports whether p is a JSON Pointer (RFC 6901): empty, or
// "/"-separated tokens in which "~" is always followed by "0" or "1".
func validPointer(p string) bool {
	if p != "" && p[0] != '/' {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] == '~' && (i+1 == len(p) || (p[i+1] != '0' && p[i+1] != '1')) {
			return false
		}
	}
	return true
}

// resolve returns the value the JSON Pointer ptr names in doc.
func resolve(doc any, ptr string) (any, bool) {
	if ptr == "" {
		return doc, true
	}
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = unescapeToken(tok)
		switch v := doc.(type) {
		case map[string]any:
			e, ok := v[tok]
			if !ok {
				return nil, false
			}
			doc = e
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(v) || strconv.Itoa(i) != tok {
				return nil, false
			}
			doc = v[i]
		default:
			return nil, false
		}
	}
	return doc, true
}

func unescapeToken(tok string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
}
