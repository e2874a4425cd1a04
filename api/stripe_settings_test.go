package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/leaguepay/checkout/app"
	"github.com/leaguepay/checkout/platform/config"
	"github.com/leaguepay/checkout/platform/secrets"
)

func TestStripeSettings(t *testing.T) {
	e := newEnv(t)
	l, other := e.newLeague(), e.newLeague()
	path := l.Base + "/admin/stripe"
	webhookURL := "http://checkout.test/v1/tenants/" + l.Slug + "/webhooks/stripe"
	get := func() map[string]any { return e.must(200, "GET", path, nil, bearer(l.Admin)...).JSON() }

	t.Run("a league without settings shows mode none and its webhook URL", func(t *testing.T) {
		want := map[string]any{"mode": "none", "secret_key_last4": nil, "account_id": nil, "webhook_url": webhookURL}
		if got := get(); !reflect.DeepEqual(got, want) {
			t.Errorf("settings %v, want %v", got, want)
		}
	})

	key := "sk_test_" + randomToken(12) + "Ab9z"
	secret := "whsec_" + randomToken(16)
	t.Run("the league's own keys are saved with a 204 and no body", func(t *testing.T) {
		r := e.must(204, "PUT", path, map[string]any{"secret_key": key, "webhook_secret": secret}, bearer(l.Admin)...)
		if len(r.Body) != 0 {
			t.Errorf("body %q", r.Body)
		}
	})
	t.Run("own keys show as mode own_keys with the key's last four characters and never a secret", func(t *testing.T) {
		r := e.must(200, "GET", path, nil, bearer(l.Admin)...)
		want := map[string]any{"mode": "own_keys", "secret_key_last4": "Ab9z", "account_id": nil, "webhook_url": webhookURL}
		if got := r.JSON(); !reflect.DeepEqual(got, want) {
			t.Errorf("settings %v, want %v", got, want)
		}
		for _, s := range []string{key, secret, key[:len(key)-4], strings.TrimPrefix(secret, "whsec_")} {
			if bytes.Contains(r.Body, []byte(s)) {
				t.Errorf("GET /stripe shows %q: %s", s, r.Body)
			}
		}
	})

	acct := "acct_" + randomToken(8)
	t.Run("a Connect account replaces own keys", func(t *testing.T) {
		e.must(204, "PUT", path, map[string]any{"account_id": acct}, bearer(l.Admin)...)
		want := map[string]any{"mode": "connect", "secret_key_last4": nil, "account_id": acct, "webhook_url": webhookURL}
		if got := get(); !reflect.DeepEqual(got, want) {
			t.Errorf("settings %v, want %v", got, want)
		}
	})
	t.Run("a league may save its own Connect account again", func(t *testing.T) {
		e.must(204, "PUT", path, map[string]any{"account_id": acct}, bearer(l.Admin)...)
	})
	t.Run("another league's Connect account is a conflict on /account_id that changes nothing", func(t *testing.T) {
		r := e.do("PUT", other.Base+"/admin/stripe", map[string]any{"account_id": acct}, bearer(other.Admin)...)
		isoProblem(t, r, 409, "/problems/conflict")
		if !slices.Equal(r.Fields(), []string{"/account_id"}) {
			t.Errorf("fields %v, want [/account_id]", r.Fields())
		}
		if got := e.must(200, "GET", other.Base+"/admin/stripe", nil, bearer(other.Admin)...).JSON()["mode"]; got != "none" {
			t.Errorf("the other league's mode is %v, want none", got)
		}
	})
	t.Run("own keys again free the Connect account for another league", func(t *testing.T) {
		e.must(204, "PUT", path, map[string]any{"secret_key": key, "webhook_secret": secret}, bearer(l.Admin)...)
		e.must(204, "PUT", other.Base+"/admin/stripe", map[string]any{"account_id": acct}, bearer(other.Admin)...)
		if got := get()["mode"]; got != "own_keys" {
			t.Errorf("mode %v, want own_keys", got)
		}
	})

	invalid := []struct {
		name   string
		body   any
		fields []string
	}{
		{"both own keys and an account", map[string]any{"secret_key": key, "webhook_secret": secret, "account_id": acct}, []string{"/account_id"}},
		{"a secret key and an account", map[string]any{"secret_key": key, "account_id": acct}, []string{"/account_id"}},
		{"neither own keys nor an account", map[string]any{}, []string{"/"}},
		{"a secret key without its webhook secret", map[string]any{"secret_key": key}, []string{"/webhook_secret"}},
		{"a webhook secret without its secret key", map[string]any{"webhook_secret": secret}, []string{"/secret_key"}},
		{"a publishable key for the secret key", map[string]any{"secret_key": "pk_test_" + randomToken(12), "webhook_secret": secret}, []string{"/secret_key"}},
		{"a webhook secret without its whsec_ prefix", map[string]any{"secret_key": key, "webhook_secret": randomToken(16)}, []string{"/webhook_secret"}},
		{"both keys malformed", map[string]any{"secret_key": "", "webhook_secret": "x"}, []string{"/secret_key", "/webhook_secret"}},
		{"an account id without acct_", map[string]any{"account_id": "cus_" + randomToken(8)}, []string{"/account_id"}},
		{"a too short account id", map[string]any{"account_id": "acct_1"}, []string{"/account_id"}},
		{"an unknown field", map[string]any{"account_id": acct, "mode": "connect"}, []string{"/mode"}},
		{"a secret key that is not a string", map[string]any{"secret_key": 42, "webhook_secret": secret}, []string{"/secret_key"}},
		{"an empty body", "", []string{"/"}},
		{"a body that is not JSON", "secret_key=sk_test_x", []string{"/"}},
	}
	// A body that does not decode (unknown field, wrong type, not JSON) is a
	// 400 like every body of the API; one that decodes but is wrong, a 422.
	undecodable := map[string]bool{"an unknown field": true, "a secret key that is not a string": true,
		"an empty body": true, "a body that is not JSON": true}
	for _, tc := range invalid {
		status, typ := 422, "/problems/validation"
		if undecodable[tc.name] {
			status, typ = 400, "/problems/bad-request"
		}
		t.Run(fmt.Sprintf("%s is a %d naming %v that changes nothing", tc.name, status, tc.fields), func(t *testing.T) {
			before := get()
			r := e.do("PUT", path, tc.body, bearer(l.Admin)...)
			isoProblem(t, r, status, typ)
			got := r.Fields()
			slices.Sort(got)
			if !slices.Equal(got, tc.fields) {
				t.Errorf("fields %v, want %v: %s", got, tc.fields, r.Body)
			}
			if after := get(); !reflect.DeepEqual(after, before) {
				t.Errorf("settings changed: %v, were %v", after, before)
			}
		})
	}
}

func TestStripeSecretsAreEncryptedAtRest(t *testing.T) {
	e := newEnv(t)
	l := e.newLeague()
	keys := e.ownKeys(l)
	su := asSuperuser(t)

	var keyEnc, whEnc []byte
	su.scan(`SELECT secret_key_enc, webhook_secret_enc FROM stripe_settings WHERE tenant_id = $1`, []any{l.ID}, &keyEnc, &whEnc)

	// forms of a secret that must not be stored: as is, hex (how bytea
	// prints), base64, and its random part after the prefix.
	forms := func(s string) [][]byte {
		random := s[strings.LastIndex(s, "_")+1:]
		return [][]byte{[]byte(s), []byte(hex.EncodeToString([]byte(s))),
			[]byte(base64.StdEncoding.EncodeToString([]byte(s))), []byte(random)}
	}
	secretsOf := map[string]string{"the secret key": keys.SecretKey, "the webhook secret": keys.WebhookSecret}

	t.Run("no column of the league's stripe_settings row holds a secret in any form", func(t *testing.T) {
		rows, err := su.conn.Query(context.Background(), `SELECT * FROM stripe_settings WHERE tenant_id = $1`, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			n++
			cols := rows.FieldDescriptions()
			for i, raw := range rows.RawValues() {
				for name, s := range secretsOf {
					for _, f := range forms(s) {
						if bytes.Contains(raw, f) {
							t.Errorf("column %s holds %s (%q)", cols[i].Name, name, f)
						}
					}
				}
			}
		}
		if n != 1 || rows.Err() != nil {
			t.Fatalf("%d rows, %v", n, rows.Err())
		}
	})

	t.Run("no table of the database holds a secret in its text form", func(t *testing.T) {
		rows, err := su.conn.Query(context.Background(),
			`SELECT quote_ident(table_name) FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`)
		if err != nil {
			t.Fatal(err)
		}
		var tables []string
		for rows.Next() {
			var name string
			_ = rows.Scan(&name)
			tables = append(tables, name)
		}
		if len(tables) < 10 {
			t.Fatalf("only %d tables: %v", len(tables), tables)
		}
		for _, table := range tables {
			for name, s := range secretsOf {
				for _, f := range forms(s) {
					if n := su.count(`SELECT count(*) FROM `+table+` t WHERE strpos(t::text, $1) > 0`, string(f)); n > 0 {
						t.Errorf("%d rows of %s hold %s (%q)", n, table, name, f)
					}
				}
			}
		}
	})

	t.Run("the stored values are AES-GCM under CHECKOUT_ENCRYPTION_KEY, bound to the league and field", func(t *testing.T) {
		box := testBox(t)
		for _, c := range []struct {
			sealed []byte
			field  string
			want   string
		}{{keyEnc, "secret_key", keys.SecretKey}, {whEnc, "webhook_secret", keys.WebhookSecret}} {
			got, err := box.Open(c.sealed, []byte(l.ID+"/"+c.field))
			if err != nil || string(got) != c.want {
				t.Errorf("%s opens to %q, %v", c.field, got, err)
			}
			if _, err := box.Open(c.sealed, []byte(e.newLeague().ID+"/"+c.field)); err == nil {
				t.Errorf("%s opens for another league", c.field)
			}
			other, _ := secrets.NewBox(bytes.Repeat([]byte{1}, 32))
			if _, err := other.Open(c.sealed, []byte(l.ID+"/"+c.field)); err == nil {
				t.Errorf("%s opens under another key", c.field)
			}
		}
	})

	t.Run("saving the same keys again seals them afresh", func(t *testing.T) {
		e.must(204, "PUT", l.Base+"/admin/stripe", map[string]any{"secret_key": keys.SecretKey, "webhook_secret": keys.WebhookSecret},
			bearer(l.Admin)...)
		var again []byte
		su.scan(`SELECT secret_key_enc FROM stripe_settings WHERE tenant_id = $1`, []any{l.ID}, &again)
		if bytes.Equal(again, keyEnc) {
			t.Error("the same ciphertext twice: a nonce was reused")
		}
	})
}

func TestStripeSettingsWithoutEncryptionKey(t *testing.T) {
	e := &env{t: t, app: buildApp(t, func(c *config.Config, _ *app.Options) { c.EncryptionKey = nil })}
	l := e.newLeague()
	path := l.Base + "/admin/stripe"

	t.Run("own keys are refused with a 422 on /secret_key and nothing is stored", func(t *testing.T) {
		r := e.do("PUT", path, map[string]any{"secret_key": "sk_test_" + randomToken(12), "webhook_secret": "whsec_" + randomToken(16)},
			bearer(l.Admin)...)
		isoProblem(t, r, 422, "/problems/validation")
		if !slices.Equal(r.Fields(), []string{"/secret_key"}) {
			t.Errorf("fields %v", r.Fields())
		}
		if n := asSuperuser(t).count(`SELECT count(*) FROM stripe_settings WHERE tenant_id = $1`, l.ID); n != 0 {
			t.Errorf("%d settings rows stored", n)
		}
	})
	t.Run("a Connect account, which holds no secret, is still saved", func(t *testing.T) {
		e.must(204, "PUT", path, map[string]any{"account_id": "acct_" + randomToken(8)}, bearer(l.Admin)...)
		if got := e.must(200, "GET", path, nil, bearer(l.Admin)...).JSON()["mode"]; got != "connect" {
			t.Errorf("mode %v", got)
		}
	})
}
