package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/leaguepay/checkout/internal/testkit/dbtest"
	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/tenants"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }

// cliEnv points the commands at the package's database as the application
// role, with nothing else of the environment leaking in.
func cliEnv(t *testing.T) {
	t.Helper()
	appURL, err := db.WithUser(dbtest.AdminURL(t), dbtest.AppLoginRole)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("CHECKOUT_DATABASE_URL", appURL)
	t.Setenv("CHECKOUT_MIGRATE_DATABASE_URL", "")
	t.Setenv("CHECKOUT_PAYMENTS", "")
	t.Setenv("CHECKOUT_ENCRYPTION_KEY", "")
	t.Setenv("CHECKOUT_BUYER_RATE_LIMIT", "")
}

// run executes the checkout command line with args.
func run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := rootCmd()
	var out, errOut bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	err = execute(context.Background(), cmd)
	return out.String(), errOut.String(), err
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := run(t, args...)
	if err != nil {
		t.Fatalf("checkout %s: %v\nstderr: %s", strings.Join(args, " "), err, errOut)
	}
	return out
}

func slug() string { return "cli-" + uuid.NewString()[:8] }

func TestTenantsCreate(t *testing.T) {
	cliEnv(t)
	s := slug()
	t.Run("creating a tenant prints it as JSON", func(t *testing.T) {
		out := mustRun(t, "tenants", "create", "--slug", s, "--name", "CLI League")
		var ten tenants.Tenant
		if err := json.Unmarshal([]byte(out), &ten); err != nil {
			t.Fatalf("output is not a tenant: %v\n%s", err, out)
		}
		if ten.Slug != s || ten.Name != "CLI League" || ten.Currency != "usd" || ten.ID == uuid.Nil ||
			ten.CreatedAt.IsZero() || ten.AllowedRedirectOrigins == nil {
			t.Errorf("tenant = %+v", ten)
		}
	})
	tests := []struct {
		name string
		args []string
		says string
	}{
		{"a taken slug is refused naming the slug", []string{"--slug", s, "--name", "Again"}, "slug is taken"},
		{"a malformed slug is refused", []string{"--slug", "Bad Slug", "--name", "X"}, "slug must"},
		{"an upper-case currency is refused", []string{"--slug", slug(), "--name", "X", "--currency", "USD"}, "currency must"},
		{"a missing name is refused", []string{"--slug", slug()}, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := run(t, append([]string{"tenants", "create"}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("err = %v, want an error mentioning %q", err, tt.says)
			}
			if out != "" {
				t.Errorf("stdout = %q, want nothing", out)
			}
		})
	}
}

func TestKeysCreate(t *testing.T) {
	cliEnv(t)
	s := slug()
	mustRun(t, "tenants", "create", "--slug", s, "--name", "Keys League")
	t.Run("creating a key prints one ck_ key that authenticates with its role", func(t *testing.T) {
		out := mustRun(t, "keys", "create", "--tenant", s, "--role", "admin")
		key := strings.TrimSpace(out)
		if !strings.HasPrefix(key, "ck_") || strings.Contains(key, "\n") {
			t.Fatalf("stdout = %q, want one ck_ key", out)
		}
		store := tenants.NewStore(dbtest.DB(t))
		ten, err := store.BySlug(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		role, err := store.Keys().Authenticate(context.Background(), ten, key)
		if err != nil || role != tenants.RoleAdmin {
			t.Errorf("Authenticate = %q, %v; want admin", role, err)
		}
	})
	tests := []struct {
		name string
		args []string
		says string
	}{
		{"an unknown role is refused naming the role", []string{"--tenant", s, "--role", "owner"}, "role must"},
		{"an unknown tenant is refused naming it", []string{"--tenant", "no-such-league", "--role", "viewer"}, `"no-such-league": not found`},
		{"a missing role is refused", []string{"--tenant", s}, "role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := run(t, append([]string{"keys", "create"}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("err = %v, want an error mentioning %q", err, tt.says)
			}
			if out != "" {
				t.Errorf("stdout = %q, want nothing", out)
			}
		})
	}
}

// seeded is the JSON seed demo prints.
type seeded struct {
	Tenant   tenants.Tenant `json:"tenant"`
	Products []struct {
		ID         uuid.UUID       `json:"id"`
		Type       string          `json:"type"`
		Name       string          `json:"name"`
		PriceCents int64           `json:"price_cents"`
		Config     map[string]any  `json:"config"`
		Fields     json.RawMessage `json:"custom_fields"`
	} `json:"products"`
	Household struct {
		ID      uuid.UUID `json:"id"`
		Email   string    `json:"email"`
		Players []struct {
			ID        uuid.UUID `json:"id"`
			FirstName string    `json:"first_name"`
		} `json:"players"`
	} `json:"household"`
	RegistrationToken *string `json:"registration_token"`
}

// retireDemo renames a demo league left by an earlier run (go test
// -count=N reuses the package's database), so the next seed starts afresh.
func retireDemo(t *testing.T) {
	t.Helper()
	adm, err := db.Open(context.Background(), dbtest.AdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	if _, err := adm.Pool.Exec(context.Background(), `UPDATE tenants SET slug = $1 WHERE slug = $2`,
		"retired-"+uuid.NewString()[:8], demoSlug); err != nil {
		t.Fatalf("retire demo league: %v", err)
	}
}

func seed(t *testing.T) seeded {
	t.Helper()
	out := mustRun(t, "seed", "demo")
	var d seeded
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("seed output is not JSON: %v\n%s", err, out)
	}
	return d
}

func TestSeedDemo(t *testing.T) {
	cliEnv(t)
	retireDemo(t)
	first := seed(t)
	second := seed(t)

	t.Run("the first run creates the demo league with three jerseys and a contract", func(t *testing.T) {
		if first.Tenant.Slug != "demo-league" {
			t.Errorf("tenant slug = %q", first.Tenant.Slug)
		}
		types := map[string]int{}
		optOut := 0
		for _, p := range first.Products {
			types[p.Type]++
			if p.Type == "jersey" && p.PriceCents == 0 && p.Config["opt_out"] == true {
				optOut++
			}
			if p.ID == uuid.Nil || len(p.Fields) == 0 {
				t.Errorf("product %q has no id or custom_fields", p.Name)
			}
		}
		if len(first.Products) != 4 || types["jersey"] != 3 || types["contract"] != 1 || optOut != 1 {
			t.Errorf("products: %d (types %v, $0 opt-outs %d), want 3 jerseys incl. one $0 opt-out and 1 contract",
				len(first.Products), types, optOut)
		}
	})
	t.Run("the first run creates one household with two players and prints its token", func(t *testing.T) {
		if len(first.Household.Players) != 2 || first.Household.Email != demoEmail {
			t.Errorf("household = %+v, want %s with two players", first.Household, demoEmail)
		}
		if first.RegistrationToken == nil || !strings.HasPrefix(*first.RegistrationToken, "rt_") {
			t.Errorf("registration_token = %v, want an rt_ token", first.RegistrationToken)
		}
	})
	t.Run("a second run creates nothing new and prints no token", func(t *testing.T) {
		if second.Tenant.ID != first.Tenant.ID || second.Household.ID != first.Household.ID {
			t.Errorf("tenant or household changed: %s/%s then %s/%s",
				first.Tenant.ID, first.Household.ID, second.Tenant.ID, second.Household.ID)
		}
		if len(second.Products) != len(first.Products) {
			t.Fatalf("second run lists %d products, first %d", len(second.Products), len(first.Products))
		}
		for i := range first.Products {
			if second.Products[i].ID != first.Products[i].ID {
				t.Errorf("product %q: id %s then %s", first.Products[i].Name, first.Products[i].ID, second.Products[i].ID)
			}
		}
		if second.RegistrationToken != nil {
			t.Errorf("the second run printed a token")
		}
		if len(second.Household.Players) != 2 {
			t.Errorf("second run's household has %d players", len(second.Household.Players))
		}
	})
	t.Run("the database holds exactly one demo league, four products and one household", func(t *testing.T) {
		adm, err := db.Open(context.Background(), dbtest.AdminURL(t))
		if err != nil {
			t.Fatal(err)
		}
		defer adm.Close()
		var leagues, products, households, players int
		err = adm.Pool.QueryRow(context.Background(), `SELECT
			(SELECT count(*) FROM tenants WHERE slug = 'demo-league'),
			(SELECT count(*) FROM products WHERE tenant_id = $1),
			(SELECT count(*) FROM customers WHERE tenant_id = $1),
			(SELECT count(*) FROM players WHERE tenant_id = $1)`, first.Tenant.ID).Scan(&leagues, &products, &households, &players)
		if err != nil {
			t.Fatal(err)
		}
		if leagues != 1 || products != 4 || households != 1 || players != 2 {
			t.Errorf("leagues %d, products %d, households %d, players %d; want 1, 4, 1, 2", leagues, products, households, players)
		}
	})
}

func TestImportOrders(t *testing.T) {
	cliEnv(t)
	retireDemo(t)
	d := seed(t)
	var home string
	for _, p := range d.Products {
		if p.Name == "Home jersey 2026" {
			home = p.ID.String()
		}
	}
	file := filepath.Join(t.TempDir(), "legacy.csv")
	csv := "legacy_id,customer_email,player_first_name,player_last_name,product_id,status,custom_data\n" +
		"CLI-1,lee@example.com,Kai,Lee," + home + `,paid,"{""top_size"":""YS"",""bottom_size"":""YS"",""jersey_number"":42}"` + "\n" +
		"CLI-2,lee@example.com,Kai,Lee," + home + ",lost,\n"
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	failed := regexp.MustCompile(`\b1 rows? failed`)

	t.Run("a file with one good and one bad row imports the good one and fails naming the bad line", func(t *testing.T) {
		out, errOut, err := run(t, "import", "orders", "--tenant", "demo-league", file)
		if err == nil || !failed.MatchString(err.Error()) {
			t.Fatalf("err = %v, want one failed row", err)
		}
		if !strings.Contains(errOut, "line 3: status") {
			t.Errorf("stderr = %q, want line 3 named with its field", errOut)
		}
		if !strings.Contains(out, "imported 1, skipped 0 (already imported), failed 1") {
			t.Errorf("stdout = %q, want the summary", out)
		}
	})
	t.Run("running it again skips the imported row and still fails the bad one", func(t *testing.T) {
		out, errOut, err := run(t, "import", "orders", "--tenant", "demo-league", file)
		if err == nil || !failed.MatchString(err.Error()) || !strings.Contains(errOut, "line 3:") {
			t.Fatalf("err = %v, stderr %q; want line 3 failed again", err, errOut)
		}
		if !strings.Contains(out, "imported 0, skipped 1 (already imported), failed 1") {
			t.Errorf("stdout = %q, want the summary", out)
		}
	})
	t.Run("an unknown tenant is refused before the file is read", func(t *testing.T) {
		_, _, err := run(t, "import", "orders", "--tenant", "no-such-league", file)
		if err == nil || !strings.Contains(err.Error(), "no-such-league") {
			t.Fatalf("err = %v, want the tenant named", err)
		}
	})
	t.Run("a missing file is refused", func(t *testing.T) {
		_, _, err := run(t, "import", "orders", "--tenant", "demo-league", filepath.Join(t.TempDir(), "nope.csv"))
		if err == nil {
			t.Fatal("import of a missing file succeeded")
		}
	})
}

func TestMigrate(t *testing.T) {
	cliEnv(t)
	t.Run("status lists every migration as applied using the migration URL", func(t *testing.T) {
		t.Setenv("CHECKOUT_MIGRATE_DATABASE_URL", dbtest.AdminURL(t))
		out := mustRun(t, "migrate", "status")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		ours := 0
		for _, l := range lines {
			if !strings.HasPrefix(l, "applied") {
				t.Errorf("line %q, want an applied migration", l)
			}
			if strings.Contains(l, ".sql") {
				ours++
			}
		}
		if ours != int(db.LatestVersion()) || !strings.Contains(out, "river ") {
			t.Fatalf("status:\n%s\nwant %d of ours and the job system's", out, db.LatestVersion())
		}
	})
	t.Run("the migration URL alone is enough", func(t *testing.T) {
		t.Setenv("CHECKOUT_DATABASE_URL", "")
		t.Setenv("CHECKOUT_MIGRATE_DATABASE_URL", dbtest.AdminURL(t))
		if out := mustRun(t, "migrate"); out != "" {
			t.Errorf("migrate on a current database printed %q, want nothing applied", out)
		}
	})
	t.Run("without any database URL migrate is refused", func(t *testing.T) {
		t.Setenv("CHECKOUT_DATABASE_URL", "")
		_, _, err := run(t, "migrate", "status")
		if err == nil || !strings.Contains(err.Error(), "CHECKOUT_DATABASE_URL") {
			t.Fatalf("err = %v, want the missing URL named", err)
		}
	})
}
