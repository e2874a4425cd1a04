package api

import (
	"bytes"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

// encoding/json fills a field from a member whose name matches the field's
// only when case is ignored ("Registration_Token" fills
// registration_token), even with DisallowUnknownFields. The contract takes
// a name it does not know as an unknown field, so decode walks the
// accepted body's member names against the request type and refuses such a
// name (caseVariant). Free-form members (custom_data, config: raw JSON or
// maps) are not walked.

// caseVariant reports the JSON Pointer of the first object member name in
// body (already decoded into a value of type t) that names no field of t
// exactly.
func caseVariant(t reflect.Type, body []byte) (string, bool) {
	dec := jsontext.NewDecoder(bytes.NewReader(body))
	ptr, bad, _ := walkNames(dec, t, "")
	return ptr, bad
}

func walkNames(dec *jsontext.Decoder, t reflect.Type, ptr string) (string, bool, error) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch kind := dec.PeekKind(); {
	case kind == '{' && t != nil && t.Kind() == reflect.Struct:
		if _, err := dec.ReadToken(); err != nil {
			return "", false, err
		}
		fields := fieldsOf(t)
		for dec.PeekKind() != '}' {
			tok, err := dec.ReadToken()
			if err != nil {
				return "", false, err
			}
			name := tok.String()
			ft, ok := fields[name]
			if !ok {
				return ptr + "/" + escape(name), true, nil
			}
			if p, bad, err := walkNames(dec, ft, ptr+"/"+escape(name)); bad || err != nil {
				return p, bad, err
			}
		}
		_, err := dec.ReadToken()
		return "", false, err
	case kind == '[' && t != nil && t != rawMessageType && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		if _, err := dec.ReadToken(); err != nil {
			return "", false, err
		}
		for i := 0; dec.PeekKind() != ']'; i++ {
			if p, bad, err := walkNames(dec, t.Elem(), ptr+"/"+strconv.Itoa(i)); bad || err != nil {
				return p, bad, err
			}
		}
		_, err := dec.ReadToken()
		return "", false, err
	}
	return "", false, dec.SkipValue()
}

// fieldNames caches fieldsOf per type.
var fieldNames sync.Map // reflect.Type -> map[string]reflect.Type

// fieldsOf are the JSON names of a struct's fields and their types, the
// fields of embedded structs without a name of their own included, as
// encoding/json sees them.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldNames.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" || (!sf.IsExported() && !sf.Anonymous) {
			continue
		}
		if sf.Anonymous && name == "" {
			et := sf.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				for k, v := range fieldsOf(et) {
					if _, taken := m[k]; !taken {
						m[k] = v
					}
				}
				continue
			}
		}
		if name == "" {
			name = sf.Name
		}
		m[name] = sf.Type
	}
	fieldNames.Store(t, m)
	return m
}
