package producttypestest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"testing"
	"time"

	"github.com/leaguepay/checkout/producttypes"
)

// Fixed inputs handed to RuleChecker and Evidencer, documented in the package
// comment so plugin authors can predict claims and evidence.
const (
	tenantID  = "producttypestest-tenant"
	productID = "producttypestest-product"
	playerID  = "producttypestest-player"
	clientIP  = "192.0.2.10"
)

var (
	at         = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	nameRE     = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,39}$`)
	categoryRE = regexp.MustCompile(`^[a-z0-9-]{1,40}$`)
)

// Case is one case file. See the package comment for what each field means
// and what the suite checks of it.
type Case struct {
	Name           string            `json:"name"`
	Config         json.RawMessage   `json:"config,omitempty"`
	PriceCents     int64             `json:"price_cents"`
	Currency       string            `json:"currency,omitempty"`
	Valid          []json.RawMessage `json:"valid,omitempty"`
	Invalid        []InvalidData     `json:"invalid,omitempty"`
	InvalidConfigs []InvalidConfig   `json:"invalid_configs,omitempty"`

	file string
}

// InvalidData is buyer custom_data that must be refused with exactly Fields.
type InvalidData struct {
	Data   json.RawMessage `json:"data"`
	Fields []string        `json:"fields"`
}

// InvalidConfig is a product config (with its price) that must be refused
// with exactly Fields.
type InvalidConfig struct {
	Name       string          `json:"name"`
	Config     json.RawMessage `json:"config"`
	PriceCents int64           `json:"price_cents"`
	Currency   string          `json:"currency,omitempty"`
	Fields     []string        `json:"fields"`
}

// Run checks typ against the producttypes contract and every *.json case
// file at the root of cases. It reports failures with t.Error, one subtest
// per case file, and stops early only when the type cannot be registered.
func Run(t *testing.T, typ producttypes.Type, cases fs.FS) {
	t.Helper()
	reg, errs := checkType(typ)
	ok := t.Run("the type is well formed and registers in a fresh registry", func(t *testing.T) {
		report(t, errs)
	})
	if !ok || reg == nil {
		t.FailNow()
	}
	loaded, err := LoadCases(cases)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range loaded {
		t.Run(c.Name, func(t *testing.T) {
			report(t, checkCase(typ, reg, c))
		})
	}
}

func report(t *testing.T, errs []error) {
	t.Helper()
	for _, err := range errs {
		t.Error(err)
	}
}

// LoadCases reads and strictly decodes every *.json file at the root of
// fsys, in file name order. It fails when there is none, when a file has an
// unknown key, or when a file breaks the rules in the package comment.
func LoadCases(fsys fs.FS) ([]Case, error) {
	files, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, fmt.Errorf("list case files: %w", err)
	}
	if len(files) == 0 {
		return nil, errors.New("producttypestest: no *.json case files")
	}
	cases := make([]Case, 0, len(files))
	for _, f := range files {
		c, err := loadCase(fsys, f)
		if err != nil {
			return nil, err
		}
		cases = append(cases, c)
	}
	return cases, nil
}

func loadCase(fsys fs.FS, file string) (Case, error) {
	b, err := fs.ReadFile(fsys, file)
	if err != nil {
		return Case{}, fmt.Errorf("read case: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var c Case
	if err := dec.Decode(&c); err != nil {
		return Case{}, fmt.Errorf("decode case %s: %w", file, err)
	}
	if dec.More() {
		return Case{}, fmt.Errorf("decode case %s: trailing data", file)
	}
	c.file = file
	if c.Currency == "" {
		c.Currency = "usd"
	}
	if err := c.check(); err != nil {
		return Case{}, fmt.Errorf("case %s: %w", file, err)
	}
	return c, nil
}

// check enforces the rules a case file must follow so that it proves
// something.
func (c Case) check() error {
	switch {
	case c.Name == "":
		return errors.New(`"name" is required`)
	case c.Config == nil && len(c.InvalidConfigs) == 0:
		return errors.New(`"config" is required unless the file has "invalid_configs"`)
	case c.Config == nil && (len(c.Valid) > 0 || len(c.Invalid) > 0):
		return errors.New(`"valid" and "invalid" need a "config"`)
	case c.Config != nil && len(c.Valid) == 0:
		return errors.New(`"valid" needs at least one entry`)
	}
	for i, inv := range c.Invalid {
		if len(inv.Fields) == 0 {
			return fmt.Errorf(`invalid[%d]: "fields" needs at least one pointer`, i)
		}
	}
	for i, ic := range c.InvalidConfigs {
		if ic.Name == "" || len(ic.Fields) == 0 {
			return fmt.Errorf(`invalid_configs[%d]: "name" and "fields" are required`, i)
		}
	}
	return nil
}

// checkType checks what does not depend on a case file and returns the
// registry the type was registered in, or nil when registration failed.
func checkType(typ producttypes.Type) (*producttypes.Registry, []error) {
	if typ == nil {
		return nil, []error{errors.New("type is nil")}
	}
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	var info producttypes.Info
	if err := protect(func() { info = typ.Info() }); err != nil {
		return nil, []error{fmt.Errorf("the type's Info: %w", err)}
	}
	if !nameRE.MatchString(info.Name) {
		fail("Name %q does not match %s", info.Name, nameRE)
	}
	if info.Title == "" || info.Description == "" {
		fail("Title and Description must not be empty")
	}
	if !categoryRE.MatchString(info.DefaultCategory) {
		fail("DefaultCategory %q does not match %s", info.DefaultCategory, categoryRE)
	}
	if info.ConfigSchema != nil {
		if _, err := producttypes.CompileSchema(info.ConfigSchema); err != nil {
			fail("ConfigSchema: %v", err)
		} else if err := checkObjectSchema(info.ConfigSchema, true); err != nil {
			fail("ConfigSchema: %v", err)
		}
	}
	reg := producttypes.NewRegistry()
	if err := protect(func() { reg.Register(typ) }); err != nil {
		return nil, append(errs, fmt.Errorf("register in a fresh registry: %w", err))
	}
	return reg, errs
}

// checkObjectSchema checks that a schema document is a top-level object
// schema that refuses unknown properties. Config schemas may say so with
// unevaluatedProperties (allowUnevaluated); buyer schemas must use
// additionalProperties.
func checkObjectSchema(doc json.RawMessage, allowUnevaluated bool) error {
	var top map[string]any
	if err := json.Unmarshal(doc, &top); err != nil {
		return fmt.Errorf("not a JSON object: %w", err)
	}
	if top["type"] != "object" {
		return errors.New(`top level must have "type": "object"`)
	}
	if top["additionalProperties"] == false {
		return nil
	}
	if allowUnevaluated && top["unevaluatedProperties"] == false {
		return nil
	}
	return errors.New(`top level must have "additionalProperties": false`)
}

// protect runs fn and turns a panic into an error.
func protect(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	fn()
	return nil
}
