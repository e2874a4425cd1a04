package contract_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/leaguepay/checkout/producttypes"
	"github.com/leaguepay/checkout/producttypes/contract"
	"github.com/leaguepay/checkout/producttypes/producttypestest"
)

func TestConformance(t *testing.T) {
	producttypestest.Run(t, contract.New(), os.DirFS("testdata/cases"))
}

const (
	textTerms = `{"season":"2026","terms_text":"Be kind.","terms_version":"2026.1"}`
	urlTerms  = `{"season":"2026-spring","terms_url":"https://league.example/t.pdf","terms_version":"v3"}`
	bothTerms = `{"season":"2026","terms_text":"Be kind.","terms_url":"https://league.example/t.pdf","terms_version":"v3"}`
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]any
		want map[string]any
	}{
		{"names are trimmed and relationships lower-cased",
			map[string]any{"signer_name": "  Ana  Lopez ", "signer_relationship": " Parent"},
			map[string]any{"signer_name": "Ana  Lopez", "signer_relationship": "parent"}},
		{"an accept_terms string stays a string for the schema to refuse",
			map[string]any{"accept_terms": "true"},
			map[string]any{"accept_terms": "true"}},
		{"values of other types are left alone",
			map[string]any{"accept_terms": true, "signer_relationship": 3.0},
			map[string]any{"accept_terms": true, "signer_relationship": 3.0}},
	}
	n := contract.New().(producttypes.Normalizer)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := n.Normalize(producttypes.Config{Raw: json.RawMessage(textTerms)}, tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Normalize(%#v) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestCheckRules(t *testing.T) {
	tests := []struct {
		name   string
		config string
		player string
		want   []producttypes.Claim
		fields []string
	}{
		{"the player is claimed within the season", urlTerms, "pl1",
			[]producttypes.Claim{{Scope: "contract-season:2026-spring", Value: "pl1", Field: "/player_id"}}, nil},
		{"a checkout without a player is refused", textTerms, "", nil, []string{"/player_id"}},
	}
	rc := contract.New().(producttypes.RuleChecker)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := producttypes.RuleInput{TenantID: "t1", ProductID: "p1", PlayerID: tt.player, Config: producttypes.Config{Raw: json.RawMessage(tt.config)}}
			fes, claims, err := rc.CheckRules(context.Background(), in)
			if err != nil {
				t.Fatalf("CheckRules: %v", err)
			}
			var fields []string
			for _, fe := range fes {
				fields = append(fields, fe.Field)
			}
			if !slices.Equal(claims, tt.want) || !slices.Equal(fields, tt.fields) {
				t.Errorf("CheckRules = %+v, %+v; want claims %+v and fields %v", fes, claims, tt.want, tt.fields)
			}
		})
	}
}

func TestEvidence(t *testing.T) {
	at := time.Date(2026, 3, 1, 7, 30, 0, 5, time.FixedZone("EST", -5*3600))
	tests := []struct {
		name   string
		config string
		want   map[string]any
	}{
		{"text terms are hashed", textTerms, map[string]any{
			"terms_sha256": sha("Be kind."), "terms_version": "2026.1",
			"accepted_at": "2026-03-01T12:30:00.000000005Z", "client_ip": "192.0.2.10"}},
		{"terms at an address hash the address and keep it", urlTerms, map[string]any{
			"terms_sha256": sha("https://league.example/t.pdf"), "terms_version": "v3",
			"accepted_at": "2026-03-01T12:30:00.000000005Z", "client_ip": "192.0.2.10",
			"terms_url": "https://league.example/t.pdf"}},
		{"text wins over an address when both are given", bothTerms, map[string]any{
			"terms_sha256": sha("Be kind."), "terms_version": "v3",
			"accepted_at": "2026-03-01T12:30:00.000000005Z", "client_ip": "192.0.2.10",
			"terms_url": "https://league.example/t.pdf"}},
	}
	e := contract.New().(producttypes.Evidencer)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := producttypes.EvidenceInput{Config: producttypes.Config{Raw: json.RawMessage(tt.config)}, ClientIP: "192.0.2.10", At: at}
			got, err := e.Evidence(context.Background(), in)
			if err != nil {
				t.Fatalf("Evidence: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Evidence = %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("evidence without an acceptance time is an error", func(t *testing.T) {
		in := producttypes.EvidenceInput{Config: producttypes.Config{Raw: json.RawMessage(textTerms)}}
		if _, err := e.Evidence(context.Background(), in); err == nil {
			t.Error("Evidence without At succeeded")
		}
	})
}

func TestBuyerSchema(t *testing.T) {
	t.Run("absent signer relationships default to parent, guardian and player", func(t *testing.T) {
		raw, err := contract.Type{}.BuyerSchema(producttypes.Config{Raw: json.RawMessage(textTerms)})
		if err != nil {
			t.Fatalf("BuyerSchema: %v", err)
		}
		var doc struct {
			Properties map[string]struct {
				Enum []string `json:"enum"`
			} `json:"properties"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("decode: %v", err)
		}
		want := []string{"parent", "guardian", "player"}
		if got := doc.Properties["signer_relationship"].Enum; !slices.Equal(got, want) {
			t.Errorf("signer_relationship enum = %v, want %v", got, want)
		}
	})
}

func FuzzCustomData(f *testing.F) {
	producttypestest.FuzzCustomData(f, contract.New(), os.DirFS("testdata/cases"))
}
