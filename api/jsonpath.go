package api

import (
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
	fields := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if sf.Anonymous && name == "" {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if name != "-" {
			fields[name] = sf.Type
		}
	}
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
