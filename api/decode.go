package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/ids"
	"github.com/leaguepay/checkout/platform/jsonlimit"
)

// decode reads the JSON body into v strictly: unknown fields, wrong types,
// trailing data, an empty body and a string holding U+0000 are 400s naming
// the field. This is also what refuses mass assignment of tenant_id, status
// or amount_cents. The body is read as received, never inflated (see
// refuseEncodedBodies), and bounded by jsonlimit before anything decodes it.
func decode(c *fiber.Ctx, v any) error { return decodeLimited(c, v, jsonlimit.Default) }

// decodeProduct is decode with room for a product's long texts (a
// contract's terms may run to 200,000 characters).
func decodeProduct(c *fiber.Ctx, v any) error {
	lim := jsonlimit.Default
	lim.MaxStringBytes = BodyLimit
	return decodeLimited(c, v, lim)
}

func decodeLimited(c *fiber.Ctx, v any, lim jsonlimit.Limits) error {
	body, err := requestBody(c)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return &apperr.BadRequest{Detail: "a JSON body is required", Fields: apperr.Field("/", "is required")}
	}
	// The limits first, in one linear pass: nothing below (the strict
	// decoder, locating a bad field, schema validation of custom_data or a
	// config) may see a document that could make it costly.
	if viol := jsonlimit.Check(body, lim); viol != nil {
		return &apperr.BadRequest{Detail: "the body is not JSON this API takes", Fields: apperr.Field(viol.Pointer(), viol.Message)}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err, body, v)
	}
	if field, ok := caseVariant(reflect.TypeOf(v), body); ok {
		return &apperr.BadRequest{Detail: "the body has a field this endpoint does not take",
			Fields: apperr.Field(field, "is not a field of this request (names are case-sensitive)")}
	}
	if field, ok := nulField(body); ok {
		return &apperr.BadRequest{Detail: "text cannot hold the character U+0000 (NUL)",
			Fields: apperr.Field(field, "must not contain U+0000")}
	}
	return nil
}

// locateLimit is the largest body decodeError decodes a second time to
// name the full JSON Pointer of a bad field; past it the decoder's own
// report is used, so a failing body never costs two decodes of its size.
const locateLimit = 64 << 10

// decodeError turns a decoding failure into a 400 naming the field: the
// full JSON Pointer found by walking the body against v's type when the body
// is small, otherwise what encoding/json reports.
func decodeError(err error, body []byte, v any) error {
	if len(body) <= locateLimit {
		var generic any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if dec.Decode(&generic) == nil {
			if field, msg, ok := locate(reflect.TypeOf(v), generic, ""); ok {
				return &apperr.BadRequest{Detail: "the body does not match this request's shape", Fields: apperr.Field(field, msg)}
			}
		}
	}
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := "/" + strings.ReplaceAll(typeErr.Field, ".", "/")
		return &apperr.BadRequest{Detail: "a field has the wrong type",
			Fields: apperr.Field(field, fmt.Sprintf("must be %s", jsonKind(typeErr.Type.Kind().String())))}
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return &apperr.BadRequest{Detail: "the body is not valid JSON", Fields: apperr.Field("/", "is not valid JSON")}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &apperr.BadRequest{Detail: "the body has a field this endpoint does not take",
			Fields: apperr.Field("/"+escape(name), "is not a field of this request")}
	}
	return &apperr.BadRequest{Detail: "the body could not be read", Fields: apperr.Field("/", "is not a valid request body")}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "int", "int64", "int32", "float64":
		return "a number"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "of another type"
}

// pathID parses the {id} path parameter; a malformed id is a 404, as the
// contract says, so ids cannot be probed for shape.
func pathID(c *fiber.Ctx) (uuid.UUID, error) {
	id, err := ids.Parse(c.Params("id"))
	if err != nil {
		return uuid.Nil, apperr.ErrNotFound
	}
	return id, nil
}

// query collects query-parameter errors so every bad one is reported at once.
type query struct {
	c      *fiber.Ctx
	fields []apperr.FieldError
}

// only refuses every query parameter not in names, as the contract says:
// a misspelt or unknown filter is a 400, never silently ignored.
func (q *query) only(names ...string) {
	q.c.Request().URI().QueryArgs().VisitAll(func(key, _ []byte) {
		k := string(key)
		if !slices.Contains(names, k) {
			if len(k) > 64 {
				k = k[:64] + "…"
			}
			q.fail(k, "is not a filter of this list")
		}
	})
}

// noFilters refuses any query parameter on a list that takes none.
func noFilters(c *fiber.Ctx) error {
	q := &query{c: c}
	q.only()
	return q.err()
}

func (q *query) fail(name, msg string) {
	q.fields = append(q.fields, apperr.FieldError{Field: "query:" + name, Message: msg})
}

func (q *query) uuid(name string) *uuid.UUID {
	v := q.c.Query(name)
	if v == "" {
		return nil
	}
	id, err := ids.Parse(v)
	if err != nil {
		q.fail(name, "must be a UUID")
		return nil
	}
	return &id
}

func (q *query) time(name string) *time.Time {
	v := q.c.Query(name)
	if v == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		q.fail(name, "must be an RFC 3339 timestamp such as 2026-01-31T00:00:00Z")
		return nil
	}
	return &t
}

func (q *query) limit(def, max int) int {
	v := q.c.Query("limit")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		q.fail("limit", fmt.Sprintf("must be an integer from 1 to %d", max))
		return def
	}
	return n
}

func (q *query) err() error {
	if len(q.fields) == 0 {
		return nil
	}
	return &apperr.BadRequest{Detail: "bad query parameters", Fields: q.fields}
}
