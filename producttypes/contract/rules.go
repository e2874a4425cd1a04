package contract

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/leaguepay/checkout/producttypes"
)

// Normalize cleans a buyer's custom_data before validation: it trims every
// top-level string and lower-cases signer_relationship. It returns a new
// map, never edits data, and leaves other values for the schema to judge.
func (Type) Normalize(_ producttypes.Config, data map[string]any) map[string]any {
	out := make(map[string]any, len(data))
	for k, v := range data {
		if s, ok := v.(string); ok {
			v = strings.TrimSpace(s)
		}
		out[k] = v
	}
	if s, ok := out["signer_relationship"].(string); ok {
		out["signer_relationship"] = strings.ToLower(s)
	}
	return out
}

// Scope returns the claim scope that allows one contract per player in
// season: "contract-season:" + season.
func Scope(season string) string { return "contract-season:" + season }

// CheckRules claims the player within the season, so a player signs at
// most one live contract per season.
func (Type) CheckRules(_ context.Context, in producttypes.RuleInput) ([]producttypes.FieldError, []producttypes.Claim, error) {
	c, err := configOf(in.Config)
	if err != nil {
		return nil, nil, err
	}
	if in.PlayerID == "" {
		return []producttypes.FieldError{{Field: "/player_id", Message: "is required: a contract is signed for one player"}}, nil, nil
	}
	return nil, []producttypes.Claim{{Scope: Scope(c.Season), Value: in.PlayerID, Field: "/player_id"}}, nil
}

// Evidence stamps what the signer accepted, when and from where.
func (Type) Evidence(_ context.Context, in producttypes.EvidenceInput) (map[string]any, error) {
	c, err := configOf(in.Config)
	if err != nil {
		return nil, err
	}
	if in.At.IsZero() {
		return nil, errors.New("contract: evidence needs the acceptance time")
	}
	terms := c.TermsText
	if terms == "" {
		terms = c.TermsURL
	}
	sum := sha256.Sum256([]byte(terms))
	ev := map[string]any{
		"terms_sha256":  hex.EncodeToString(sum[:]),
		"terms_version": c.TermsVersion,
		"accepted_at":   in.At.UTC().Format(time.RFC3339Nano),
		"client_ip":     in.ClientIP,
	}
	if c.TermsURL != "" {
		ev["terms_url"] = c.TermsURL
	}
	return ev, nil
}
