package api_test

import (
	"fmt"
	"strings"
	"testing"
)

func TestBodyErrorsNameTheFullPointer(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	cases := []struct {
		name  string
		body  string
		field string
	}{
		{"an unknown field inside an array item names its index",
			`{"name":"A","email":"a@example.com","players":[{"first_name":"A","last_name":"B"},{"first_name":"C","last_name":"D","id":"x"}]}`,
			"/players/1/id"},
		{"a wrongly typed field inside an array item names its index",
			`{"name":"A","email":"a@example.com","players":[{"first_name":7,"last_name":"B"}]}`,
			"/players/0/first_name"},
		{"a wrongly typed top-level field is named", `{"name":["A"],"email":"a@example.com","players":[]}`, "/name"},
		{"players that are not an array are named", `{"name":"A","email":"a@example.com","players":{}}`, "/players"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.must(400, "POST", l.Base+"/admin/customers", tc.body, bearer(l.Manager)...)
			if got := fmt.Sprint(r.Fields()); got != "["+tc.field+"]" {
				t.Errorf("fields %s, want [%s]", got, tc.field)
			}
		})
	}
}

func TestPathIDsMustBeCanonical(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	p := e.product(l, freeJersey("Jersey"))
	id := p["id"].(string)
	for _, form := range []string{"{" + id + "}", "urn:uuid:" + id, strings.ReplaceAll(id, "-", "")} {
		t.Run("the id spelled "+form+" is not found", func(t *testing.T) {
			e.must(404, "GET", l.Base+"/admin/products/"+form, nil, bearer(l.Viewer)...)
		})
	}
	t.Run("the id in upper case is found: hex digits are case-insensitive (RFC 9562)", func(t *testing.T) {
		e.must(200, "GET", l.Base+"/admin/products/"+strings.ToUpper(id), nil, bearer(l.Viewer)...)
	})
}
