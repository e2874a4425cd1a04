package main

import (
	"context"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/leaguepay/checkout/platform/apperr"
)

// execute runs the command line and returns its error as people should
// read it (main prints it after "checkout: ").
func execute(ctx context.Context, root *cobra.Command) error {
	return forPeople(root.ExecuteContext(ctx))
}

// humanError is an error as the command line shows it: the domain errors in
// it rendered in words, with every failing field, and no package prefixes.
// It wraps the original, so errors.Is and errors.As still see through it.
type humanError struct {
	err error
	msg string
}

func (e *humanError) Error() string { return e.msg }
func (e *humanError) Unwrap() error { return e.err }

// packagePrefix is the "pkg: " that sentinel errors of this module carry
// (STYLE: `sql: no rows in result set`), at the start of a message or of a
// wrapped part of it.
var packagePrefix = regexp.MustCompile(`(^|: )(?:apperr|db|orders|payments|secrets|webhooks|ids|tenants|customers|catalog|config): `)

// forPeople rewrites err for the terminal. The domain errors anywhere in its
// chain are replaced by their rendering, the context wrapped around them
// (`tenant "x": …`) is kept.
func forPeople(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, e := range chain(err) {
		if words, ok := render(e); ok {
			msg = strings.Replace(msg, e.Error(), words, 1)
		}
	}
	return &humanError{err: err, msg: packagePrefix.ReplaceAllString(msg, "$1")}
}

// chain lists err and every error it wraps, outermost first.
func chain(err error) []error {
	var out []error
	queue := []error{err}
	for len(queue) > 0 {
		e := queue[0]
		queue = queue[1:]
		if e == nil {
			continue
		}
		out = append(out, e)
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			queue = append(queue, u.Unwrap())
		case interface{ Unwrap() []error }:
			queue = append(queue, u.Unwrap()...)
		}
	}
	return out
}

// sentinelWords are the apperr sentinels in words.
var sentinelWords = map[error]string{
	apperr.ErrNotFound:              "not found",
	apperr.ErrUnauthorized:          "the credentials are missing or unknown",
	apperr.ErrForbidden:             "not allowed with these credentials",
	apperr.ErrPaymentProvider:       "the payment provider failed; nothing was changed",
	apperr.ErrPaymentsNotConfigured: "this league does not take payments yet (its Stripe settings are missing)",
}

// render returns e itself in words, when e is one of the domain errors.
func render(e error) (string, bool) {
	switch d := e.(type) {
	case *apperr.Invalid:
		return withFields(d.Detail, d.Fields), true
	case *apperr.BadRequest:
		return withFields(d.Detail, d.Fields), true
	case *apperr.BadFilter:
		return withFields(d.Detail, d.Filters), true
	case *apperr.Conflict:
		return withFields(d.Detail, d.Fields), true
	}
	for sentinel, words := range sentinelWords {
		if e == sentinel {
			return words, true
		}
	}
	return "", false
}

// withFields is the detail followed by each failing field and its message
// ("the tenant is invalid: slug must match …; currency must be …"); a field
// the detail already says is left out.
func withFields(detail string, fields []apperr.FieldError) string {
	var parts []string
	for _, f := range fields {
		p := strings.TrimSpace(fieldName(f.Field) + " " + f.Message)
		if !strings.Contains(detail, p) {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return detail
	}
	return detail + ": " + strings.Join(parts, "; ")
}

// fieldName turns a JSON Pointer (/custom_data/jersey_number), a query
// parameter (query:limit) or a header (header:Idempotency-Key) into the
// name people know it by.
func fieldName(f string) string {
	if name, ok := strings.CutPrefix(f, "query:"); ok {
		return name
	}
	if name, ok := strings.CutPrefix(f, "header:"); ok {
		return "the " + name + " header"
	}
	segments := strings.Split(strings.TrimPrefix(f, "/"), "/")
	for i, s := range segments {
		segments[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(s)
	}
	return strings.Join(segments, ".")
}
