package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/db"
)

// TestErrorsInWords: what the command line prints names no package, says
// which field failed and why, and keeps the context around the error.
func TestErrorsInWords(t *testing.T) {
	cliEnv(t)
	taken := slug()
	mustRun(t, "tenants", "create", "--slug", taken, "--name", "Taken League")
	commands := []struct {
		name string
		args []string
		want string
	}{
		{"a malformed slug names the flag's field and the rule",
			[]string{"tenants", "create", "--slug", "Bad Slug", "--name", "X"},
			"the tenant is invalid: slug must match ^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$"},
		{"a taken slug says so once", []string{"tenants", "create", "--slug", taken, "--name", "X"}, "the slug is taken"},
		{"an unknown role names the role", []string{"keys", "create", "--tenant", taken, "--role", "owner"},
			"the API key is invalid: role must be one of viewer, manager, admin"},
		{"an unknown tenant is named", []string{"keys", "create", "--tenant", "no-such-league", "--role", "viewer"},
			`tenant "no-such-league": not found`},
	}
	for _, tt := range commands {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := run(t, tt.args...)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("checkout %s: %v\nwant: %s", strings.Join(tt.args, " "), err, tt.want)
			}
		})
	}
	errs := []struct {
		name string
		err  error
		want string
	}{
		{"every field of a wrapped invalid error, pointers as dotted names",
			fmt.Errorf("line 3: %w", &apperr.Invalid{Detail: "the customer is invalid", Fields: []apperr.FieldError{
				{Field: "/customer_email", Message: "must be an email address"},
				{Field: "/custom_data/jersey_number", Message: "must be at most 99"}}}),
			"line 3: the customer is invalid: customer_email must be an email address; custom_data.jersey_number must be at most 99"},
		{"a query parameter and a header by name",
			&apperr.BadRequest{Detail: "bad request", Fields: []apperr.FieldError{{Field: "query:limit", Message: "must be 1 to 200"},
				{Field: "header:Idempotency-Key", Message: "is too long"}}},
			"bad request: limit must be 1 to 200; the Idempotency-Key header is too long"},
		{"a sentinel of another package loses its prefix",
			fmt.Errorf("check role: %w", db.ErrPrivilegedRole), "check role: application role bypasses row-level security"},
		{"an error with no domain error in it is kept", errors.New("open legacy.csv: no such file"), "open legacy.csv: no such file"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			got := forPeople(tt.err)
			if got.Error() != tt.want {
				t.Errorf("forPeople(%q)\n= %q\nwant %q", tt.err, got, tt.want)
			}
			if !errors.Is(got, tt.err) {
				t.Error("the original error is no longer in the chain")
			}
		})
	}
}
