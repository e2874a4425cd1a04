package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

var rawMessageType = reflect.TypeOf(json.RawMessage{})

// locate finds where a generic JSON value v (as decoded into any) breaks
// the Go type t: an unknown field or a value of the wrong JSON kind. It
// returns the JSON Pointer and a message, or ok=false. encoding/json reports
// such errors without array indexes ("/id" for "/players/0/id"); this walk
// names the full path.
func locate(t reflect.Type, v any, ptr string) (field, msg string, ok bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil || t == rawMessageType || t.Kind() == reflect.Interface {
		return "", "", false
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, isObj := v.(map[string]any)
		if !isObj {
			return orRoot(ptr), "must be an object", true
		}
		return locateFields(t, obj, ptr)
	case reflect.Slice, reflect.Array:
		arr, isArr := v.([]any)
		if !isArr {
			return orRoot(ptr), "must be an array", true
		}
		for i, item := range arr {
			if f, m, bad := locate(t.Elem(), item, ptr+"/"+strconv.Itoa(i)); bad {
				return f, m, true
			}
		}
	case reflect.String:
		if _, isStr := v.(string); !isStr {
			return orRoot(ptr), "must be a string", true
		}
	case reflect.Bool:
		if _, isBool := v.(bool); !isBool {
			return orRoot(ptr), "must be a boolean", true
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, isNum := v.(json.Number)
		if _, err := n.Int64(); !isNum || err != nil {
			return orRoot(ptr), "must be an integer", true
		}
	}
	return "", "", false
}

// locateFields checks an object's members against a struct's JSON fields,
// in sorted order so the first problem reported is stable.
func locateFields(t reflect.Type, obj map[string]any, ptr string) (string, string, bool) {
	fields := fieldsOf(t)
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ft, known := fields[k]
		if !known {
			return ptr + "/" + escape(k), "is not a field of this request", true
		}
		if f, m, bad := locate(ft, obj[k], ptr+"/"+escape(k)); bad {
			return f, m, true
		}
	}
	return "", "", false
}

func orRoot(ptr string) string {
	if ptr == "" {
		return "/"
	}
	return ptr
}

func escape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// escapedNUL is how JSON spells U+0000 inside a string (a raw NUL byte is
// not valid JSON at all).
var escapedNUL = []byte(`\u0000`)

// nulField returns the JSON Pointer of the first string or object member
// name in body (valid JSON) that holds U+0000, which PostgreSQL cannot store
// in text or jsonb. Most bodies hold neither a NUL byte nor the escape, so
// the token walk runs only for those that might; it also tells a real
// "\u0000" from an escaped backslash followed by "u0000".
func nulField(body []byte) (string, bool) {
	if bytes.IndexByte(body, 0) < 0 && !bytes.Contains(body, escapedNUL) {
		return "", false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	field, found, _ := walkNUL(dec, "")
	return field, found
}

// walkNUL reads one JSON value from dec, reporting where it (or a member
// name within it) holds U+0000.
func walkNUL(dec *json.Decoder, ptr string) (string, bool, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", false, err
	}
	switch v := tok.(type) {
	case string:
		return orRoot(ptr), strings.IndexByte(v, 0) >= 0, nil
	case json.Delim:
		for i := 0; dec.More(); i++ {
			elem := ptr + "/" + strconv.Itoa(i)
			if v == '{' {
				key, err := dec.Token()
				if err != nil {
					return "", false, err
				}
				name, _ := key.(string)
				elem = ptr + "/" + escape(name)
				if strings.IndexByte(name, 0) >= 0 {
					return elem, true, nil
				}
			}
			if field, found, err := walkNUL(dec, elem); found || err != nil {
				return field, found, err
			}
		}
		_, err = dec.Token() // the closing delimiter
		return "", false, err
	}
	return "", false, nil
}
