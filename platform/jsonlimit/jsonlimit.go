// Package jsonlimit bounds what a JSON document may cost before anything
// decodes it into values: nesting depth, members per object or array, values
// in all, bytes per string, and the length and exponent of number literals.
// It also refuses what no decoder should see: invalid UTF-8, lone
// surrogates (\ud800), and an object naming a member twice.
//
// Check walks the document once, token by token, holding nothing but the
// current path (github.com/go-json-experiment/json/jsontext does the
// tokenizing and knows the JSON Pointer of every position); its cost is
// linear in the bytes, so it can run on unauthenticated requests before any
// schema validation or generic decoding. Every limit it enforces keeps what
// comes after cheap: a JSON Schema library turns numbers into big.Rat (a
// million-digit literal costs seconds), and a generic decode of 340,000
// empty objects costs tens of megabytes.
package jsonlimit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"
)

// Limits are the bounds Check enforces. A zero field takes the Default's
// value.
type Limits struct {
	MaxDepth       int   // nesting of objects and arrays
	MaxMembers     int   // members of one object, or elements of one array
	MaxValues      int   // values in the whole document
	MaxStringBytes int   // bytes of one string as written (escapes included)
	MaxNameBytes   int   // bytes of one member name as written
	MaxNumberBytes int   // bytes of one number literal
	MaxExponent    int64 // magnitude of a number's decimal exponent
}

// Default are the limits of a request body: generous for every request the
// API takes, small enough that nothing after them can be amplified.
var Default = Limits{
	MaxDepth:       32,
	MaxMembers:     1000,
	MaxValues:      20000,
	MaxStringBytes: 256 << 10,
	MaxNameBytes:   128,
	MaxNumberBytes: 32,
	MaxExponent:    308,
}

// Violation is a document Check refused. Field is the JSON Pointer of the
// offending value ("" is the document); Message says what is wrong in words
// a client can act on.
type Violation struct {
	Field   string
	Message string
}

func (v *Violation) Error() string {
	return fmt.Sprintf("jsonlimit: %s %s", v.pointer(), v.Message)
}

func (v *Violation) pointer() string {
	if v.Field == "" {
		return "/"
	}
	return v.Field
}

// Pointer is Field, or "/" for the whole document.
func (v *Violation) Pointer() string { return v.pointer() }

// Check reports the first way doc breaks lim or is not well-formed JSON, or
// nil. It never allocates in proportion to the document beyond jsontext's
// per-object name sets.
func Check(doc []byte, lim Limits) *Violation {
	lim = lim.withDefaults()
	dec := jsontext.NewDecoder(bytes.NewReader(doc))
	values := 0
	for {
		if values > 0 && dec.StackDepth() == 0 {
			// One value only: anything after it but space is refused.
			if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
				return &Violation{Message: "has data after the JSON value"}
			}
			return nil
		}
		kind := dec.PeekKind()
		if kind == 0 {
			// End of input or a syntax error: ReadToken says which.
			if _, err := dec.ReadToken(); err != nil {
				if errors.Is(err, io.EOF) {
					if values == 0 {
						return &Violation{Message: "is not valid JSON"}
					}
					return nil
				}
				return syntaxViolation(dec, err)
			}
			continue
		}
		isName := dec.StackDepth() > 0 && kindAt(dec) == '{' && lengthAt(dec)%2 == 0 && kind != '}'
		if !isName && kind != '}' && kind != ']' {
			values++
			if values > lim.MaxValues {
				return &Violation{Field: string(dec.StackPointer()),
					Message: fmt.Sprintf("makes the document hold more than %d values", lim.MaxValues)}
			}
			if d := dec.StackDepth(); d > 0 {
				_, n := dec.StackIndex(d)
				members := int(n)
				if kindAt(dec) == '{' {
					members = int(n) / 2
				}
				if members >= lim.MaxMembers {
					return &Violation{Field: string(dec.StackPointer().Parent()),
						Message: fmt.Sprintf("must hold at most %d members", lim.MaxMembers)}
				}
			}
		}
		switch kind {
		case '{', '[':
			if dec.StackDepth() >= lim.MaxDepth {
				return &Violation{Field: string(dec.StackPointer()),
					Message: fmt.Sprintf("nests deeper than %d levels", lim.MaxDepth)}
			}
			if _, err := dec.ReadToken(); err != nil {
				return syntaxViolation(dec, err)
			}
		case '}', ']':
			if _, err := dec.ReadToken(); err != nil {
				return syntaxViolation(dec, err)
			}
		default:
			v, err := dec.ReadValue()
			if err != nil {
				return syntaxViolation(dec, err)
			}
			if isName && len(v) > lim.MaxNameBytes {
				return &Violation{Field: string(dec.StackPointer().Parent()),
					Message: fmt.Sprintf("has a member name longer than %d bytes", lim.MaxNameBytes)}
			}
			if viol := checkScalar(v, kind, lim); viol != nil {
				viol.Field = string(dec.StackPointer())
				if isName {
					viol.Message = "has a member name that " + viol.Message
				}
				return viol
			}
		}
	}
}

func kindAt(dec *jsontext.Decoder) jsontext.Kind {
	k, _ := dec.StackIndex(dec.StackDepth())
	return k
}

func lengthAt(dec *jsontext.Decoder) int64 {
	_, n := dec.StackIndex(dec.StackDepth())
	return n
}

func checkScalar(v jsontext.Value, kind jsontext.Kind, lim Limits) *Violation {
	switch kind {
	case '"':
		if len(v) > lim.MaxStringBytes {
			return &Violation{Message: fmt.Sprintf("is longer than %d bytes", lim.MaxStringBytes)}
		}
	case '0':
		if len(v) > lim.MaxNumberBytes {
			return &Violation{Message: fmt.Sprintf("is a number longer than %d characters", lim.MaxNumberBytes)}
		}
		if i := bytes.IndexAny(v, "eE"); i >= 0 {
			exp, err := strconv.ParseInt(string(bytes.TrimPrefix(v[i+1:], []byte("+"))), 10, 64)
			if err != nil || exp > lim.MaxExponent || exp < -lim.MaxExponent {
				return &Violation{Message: fmt.Sprintf("is a number whose exponent is beyond ±%d", lim.MaxExponent)}
			}
		}
	}
	return nil
}

// syntaxViolation names where the document stopped being well-formed JSON,
// without echoing any of it.
func syntaxViolation(dec *jsontext.Decoder, err error) *Violation {
	var se *jsontext.SyntacticError
	msg := "is not valid JSON"
	field := ""
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &Violation{Message: "ends before the JSON value does"}
	}
	if errors.As(err, &se) {
		field = string(se.JSONPointer)
		switch {
		case errors.Is(se.Err, jsontext.ErrDuplicateName):
			return &Violation{Field: field, Message: "names a member twice"}
		case bytes.Contains([]byte(se.Error()), []byte("UTF-8")), bytes.Contains([]byte(se.Error()), []byte("surrogate")):
			msg = "is not valid UTF-8 text"
		}
	}
	_ = dec
	return &Violation{Field: field, Message: msg}
}

func (l Limits) withDefaults() Limits {
	d := Default
	if l.MaxDepth > 0 {
		d.MaxDepth = l.MaxDepth
	}
	if l.MaxMembers > 0 {
		d.MaxMembers = l.MaxMembers
	}
	if l.MaxValues > 0 {
		d.MaxValues = l.MaxValues
	}
	if l.MaxStringBytes > 0 {
		d.MaxStringBytes = l.MaxStringBytes
	}
	if l.MaxNameBytes > 0 {
		d.MaxNameBytes = l.MaxNameBytes
	}
	if l.MaxNumberBytes > 0 {
		d.MaxNumberBytes = l.MaxNumberBytes
	}
	if l.MaxExponent > 0 {
		d.MaxExponent = l.MaxExponent
	}
	return d
}
