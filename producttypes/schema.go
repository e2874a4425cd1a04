package producttypes

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// Schema is a compiled JSON Schema. Compile once, validate many times: a
// compiled schema is safe for concurrent use.
type Schema struct {
	s *jsonschema.Schema
}

// CompileSchema compiles a JSON Schema document (draft 2020-12 unless the
// document names another draft). Remote references are refused: a product
// schema must be self-contained.
func CompileSchema(doc json.RawMessage) (*Schema, error) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	c.LoadURL = func(s string) (io.ReadCloser, error) {
		return nil, fmt.Errorf("remote schema %q refused", s)
	}
	const url = "mem://schema.json"
	if err := c.AddResource(url, bytes.NewReader(doc)); err != nil {
		return nil, fmt.Errorf("add schema: %w", err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("compile schema: %w", err)
	}
	return &Schema{s: s}, nil
}

// DecodeJSON decodes a JSON document the way the validator expects it
// (numbers as json.Number, so integers keep their precision).
func DecodeJSON(doc []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after JSON value")
	}
	return v, nil
}

// Validate checks v (as produced by DecodeJSON, or plain Go maps, slices,
// strings, bools and numbers) and returns one FieldError per failing field,
// sorted by field. Field pointers are prefixed with prefix, so a schema
// applied to custom_data reports "/custom_data/jersey_number".
func (s *Schema) Validate(v any, prefix string) (fields []FieldError) {
	// The validator panics on Go types JSON never produces (int16,
	// []string...); a plugin's normalizer must not crash a request with them.
	defer func() {
		if r := recover(); r != nil {
			fields = []FieldError{{Field: prefixOrRoot(prefix), Message: "holds a value that cannot be validated"}}
		}
	}()
	if fields = outOfRange(v, prefix, nil); len(fields) > 0 {
		return sortFields(fields)
	}
	err := s.s.Validate(v)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []FieldError{{Field: prefixOrRoot(prefix), Message: err.Error()}}
	}
	return sortFields(fieldErrors(ve, v, prefix))
}

// sortFields sorts by field, then message, so that errors the validator
// found in map order come out the same every time, keeps the first
// MaxFieldErrors and cuts each message to maxMessageBytes.
func sortFields(fields []FieldError) []FieldError {
	sort.Slice(fields, func(i, j int) bool {
		if fields[i].Field != fields[j].Field {
			return fields[i].Field < fields[j].Field
		}
		return fields[i].Message < fields[j].Message
	})
	if len(fields) > MaxFieldErrors {
		fields = fields[:MaxFieldErrors]
	}
	for i := range fields {
		fields[i].Message = excerpt(fields[i].Message, maxMessageBytes)
		fields[i].Detail = excerpt(fields[i].Detail, maxMessageBytes)
	}
	return fields
}

// MaxFieldErrors is the most field errors Validate reports: enough to fix
// a form, never a response that grows with a hostile document.
const MaxFieldErrors = 50

// maxMessageBytes bounds one message, which may quote the value it refuses.
const maxMessageBytes = 200

// excerpt cuts s to at most n bytes on a rune boundary, marking the cut.
func excerpt(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// maxNumberLength is the longest JSON number Validate judges; a float64
// written out in full takes fewer characters.
const maxNumberLength = 400

// outOfRange appends to out the JSON numbers in v that are not judgeable.
// The validator turns every number it checks into a big.Rat: 1e999999 or a
// million digits cost it up to seconds of CPU, 0e9999999 makes it panic
// (big.Rat refuses the exponent), and no schema of this platform needs them.
func outOfRange(v any, ptr string, out []FieldError) []FieldError {
	switch v := v.(type) {
	case json.Number:
		if !judgeable(v) {
			out = append(out, FieldError{Field: prefixOrRoot(ptr), Message: "is too large, too small or too long a number"})
		}
	case map[string]any:
		for k, e := range v {
			out = outOfRange(e, ptr+"/"+escapePointer(k), out)
		}
	case []any:
		for i, e := range v {
			out = outOfRange(e, ptr+"/"+strconv.Itoa(i), out)
		}
	}
	return out
}

// judgeable reports whether n is at most maxNumberLength characters, has an
// exponent of at most three digits and is within float64's range.
func judgeable(n json.Number) bool {
	s := string(n)
	if len(s) > maxNumberLength {
		return false
	}
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		if exp := strings.TrimLeft(strings.TrimLeft(s[i+1:], "+-"), "0"); len(exp) > 3 {
			return false
		}
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}
