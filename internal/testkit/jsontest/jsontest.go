// Package jsontest holds checks of decoded JSON values that several test
// packages make.
package jsontest

import "strings"

// HoldsNUL reports whether a string or member name in v, a value decoded
// from JSON, holds U+0000 (which jsonb cannot store).
func HoldsNUL(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.ContainsRune(v, 0)
	case []any:
		for _, e := range v {
			if HoldsNUL(e) {
				return true
			}
		}
	case map[string]any:
		for k, e := range v {
			if strings.ContainsRune(k, 0) || HoldsNUL(e) {
				return true
			}
		}
	}
	return false
}
