package api

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/checkout"
	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/platform/ids"
	"github.com/leaguepay/checkout/platform/orders"
	"github.com/leaguepay/checkout/platform/payments"
	"github.com/leaguepay/checkout/platform/secrets"
	"github.com/leaguepay/checkout/platform/settlement"
	"github.com/leaguepay/checkout/producttypes"
)

// mappedErrors is every sentinel and error type of the module with the
// status problemFor gives it. TestEverySentinelIsMapped finds them in the
// source, so a new one fails until it has a row here (and, unless it is
// meant to be a 500, a case in problemFor).
var mappedErrors = map[string]struct {
	err    error
	status int
}{
	"apperr.ErrNotFound":              {apperr.ErrNotFound, 404},
	"apperr.ErrUnauthorized":          {apperr.ErrUnauthorized, 401},
	"apperr.ErrForbidden":             {apperr.ErrForbidden, 403},
	"apperr.ErrPaymentProvider":       {apperr.ErrPaymentProvider, 502},
	"apperr.ErrPaymentsNotConfigured": {apperr.ErrPaymentsNotConfigured, 503},
	"apperr.Invalid":                  {&apperr.Invalid{Detail: "x"}, 422},
	"apperr.BadRequest":               {&apperr.BadRequest{Detail: "x"}, 400},
	"apperr.BadFilter":                {&apperr.BadFilter{Detail: "x", Filters: apperr.Filter("cursor", "bad")}, 400},
	"apperr.Conflict":                 {&apperr.Conflict{Detail: "x"}, 409},
	"apperr.Duplicate":                {&apperr.Duplicate{Detail: "x"}, 409},
	"apperr.Denied":                   {&apperr.Denied{Detail: "x"}, 403},
	"apperr.Missing":                  {&apperr.Missing{Detail: "x"}, 404},
	"checkout.ErrKeyTooLong":          {checkout.ErrKeyTooLong, 400},
	"checkout.ErrKeyReused":           {checkout.ErrKeyReused, 422},
	"orders.ErrTransition":            {orders.ErrTransition, 409},
	"payments.ErrNotConfigured":       {payments.ErrNotConfigured, 503},
	"payments.ErrProvider":            {payments.ErrProvider, 502},
	"payments.ErrRefused":             {payments.ErrRefused, 502},
	"settlement.ErrBadSignature":      {settlement.ErrBadSignature, 400},
	"settlement.ErrBadPayload":        {settlement.ErrBadPayload, 400},
	"settlement.ErrNotProcessed":      {settlement.ErrNotProcessed, 503},
	"db.ErrUnavailable":               {db.ErrUnavailable, 503},
	"ids.ErrMalformed":                {ids.ErrMalformed, 404},
	"secrets.ErrNoKey":                {secrets.ErrNoKey, 503},
	"api.errEncodedBody":              {errEncodedBody, 415},
	"api.errBodyBudget":               {errBodyBudget, 503},
	"api.errBodyTimeout":              {errBodyTimeout, 408},
	"api.errBodyTooLarge":             {errBodyTooLarge, 413},
	"api.errBodyRefused":              {errBodyRefused, 400},
	// A product type's panic is a bug: an opaque 500, its stack logged.
	"producttypes.PanicError": {&producttypes.PanicError{Value: "boom"}, 500},
}

// unmappedErrors never reach a response, and why.
var unmappedErrors = map[string]string{
	"db.ErrPrivilegedRole":            "checked once by checkout serve at start-up, before it listens",
	"orders.ErrProductChanged":        "retried inside the checkout, then turned into an apperr.Conflict",
	"leaguehooks.errForbiddenAddress": "a delivery's dial refusal, written to the deliveries log",
	"jsonlimit.Violation":             "returned by Check (not as an error); decode turns it into an apperr.BadRequest naming the field",
	"checkout.errPreviewDone":         "rolls a preview's transaction back; Preview turns it into its answer",
}

func TestEverySentinelIsMapped(t *testing.T) {
	found := declaredErrors(t, "..")
	for _, name := range found {
		m, ok := mappedErrors[name]
		if _, skip := unmappedErrors[name]; skip {
			continue
		}
		t.Run(name, func(t *testing.T) {
			if !ok {
				t.Fatalf("%s has no row in mappedErrors (nor a reason in unmappedErrors)", name)
			}
			for _, err := range []error{m.err, fmt.Errorf("wrapped: %w", m.err)} {
				if got := problemFor(err).Status; got != m.status {
					t.Errorf("problemFor(%v) = %d, want %d", err, got, m.status)
				}
			}
		})
	}
	t.Run("every row names an error that is still declared", func(t *testing.T) {
		declared := map[string]bool{}
		for _, n := range found {
			declared[n] = true
		}
		for name := range mappedErrors {
			if !declared[name] {
				t.Errorf("mappedErrors has %s, which the source no longer declares", name)
			}
		}
		for name := range unmappedErrors {
			if !declared[name] {
				t.Errorf("unmappedErrors has %s, which the source no longer declares", name)
			}
		}
	})
	t.Run("query and header fields are named here only", func(t *testing.T) {
		p := problemFor(&apperr.BadFilter{Detail: "bad cursor", Filters: apperr.Filter("cursor", "is not a cursor")})
		if len(p.Errors) != 1 || p.Errors[0].Field != "query:cursor" {
			t.Errorf("a bad filter becomes %+v, want the field query:cursor", p.Errors)
		}
		p = problemFor(checkout.ErrKeyReused)
		if len(p.Errors) != 1 || p.Errors[0].Field != "header:Idempotency-Key" {
			t.Errorf("a reused key becomes %+v, want the field header:Idempotency-Key", p.Errors)
		}
	})
	t.Run("an unknown error is an opaque 500", func(t *testing.T) {
		p := problemFor(errors.New("secret internals"))
		if p.Status != 500 || p.Detail != "" {
			t.Errorf("%+v", p)
		}
		if p := problemFor(fiber.ErrMethodNotAllowed); p.Status != 405 {
			t.Errorf("a Fiber error becomes %+v", p)
		}
	})
}

// declaredErrors lists "pkg.Name" for every package-level error variable
// (var ErrX = errors.New / fmt.Errorf) and every type with an Error method
// in the module's non-test, non-tool Go files under root.
func declaredErrors(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "tools", "testdata", "bench", "cmd", "internal", ".git":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		if strings.HasSuffix(f.Name.Name, "test") {
			return nil // conformance suites and harnesses
		}
		pkg := f.Name.Name
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.GenDecl:
				if d.Tok != token.VAR {
					continue
				}
				for _, spec := range d.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, name := range vs.Names {
						if i < len(vs.Values) && isErrorCall(vs.Values[i]) && strings.HasPrefix(strings.ToLower(name.Name), "err") {
							out = append(out, pkg+"."+name.Name)
						}
					}
				}
			case *ast.FuncDecl:
				if d.Recv == nil || d.Name.Name != "Error" || len(d.Recv.List) != 1 {
					continue
				}
				typ := d.Recv.List[0].Type
				if star, ok := typ.(*ast.StarExpr); ok {
					typ = star.X
				}
				if id, ok := typ.(*ast.Ident); ok && ast.IsExported(id.Name) {
					out = append(out, pkg+"."+id.Name)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func isErrorCall(e ast.Expr) bool {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	x, ok := sel.X.(*ast.Ident)
	return ok && ((x.Name == "errors" && sel.Sel.Name == "New") || (x.Name == "fmt" && sel.Sel.Name == "Errorf"))
}
