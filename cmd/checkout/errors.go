package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/leaguepay/checkout/platform/apperr"
)

// describeErr renders a domain error for the terminal, naming every field.
func describeErr(err error) error {
	var inv *apperr.Invalid
	var conf *apperr.Conflict
	var bad *apperr.BadRequest
	var fields []apperr.FieldError
	switch {
	case errors.As(err, &inv):
		fields = inv.Fields
	case errors.As(err, &conf):
		fields = conf.Fields
	case errors.As(err, &bad):
		fields = bad.Fields
	case errors.Is(err, apperr.ErrNotFound):
		return errors.New("not found")
	default:
		return err
	}
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return fmt.Errorf("%w (%s)", err, strings.Join(parts, "; "))
}
