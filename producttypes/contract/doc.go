// Package contract is the product type for player contracts: a parent,
// guardian or the player signs the league's terms for one season.
//
// The type is named "contract" and its default category is "contracts".
//
// # Config
//
// The config schema is config.schema.json. season is required: four digits,
// optionally followed by lower-case "-" parts ("2026", "2026-spring",
// "2025-26"). terms_version is required (letters, digits, ".", "_", "-", at
// most 40). At least one of terms_text (non-blank) and terms_url (an https://
// URI) is required; a config with neither is refused on both fields.
// signer_relationships lists who may sign, unique values from "parent",
// "guardian", "player" and "other", in the order the buyer sees them; when
// it is absent the default is ["parent", "guardian", "player"].
//
// # Buyer schema
//
// All of these are required and nothing else is accepted: signer_name (1 to
// 120 characters, no leading or trailing white space, one line),
// signer_relationship (one of the configured relationships), accept_terms
// (the JSON value true) and terms_version (exactly the config's
// terms_version, so a buyer who read older terms is refused).
//
// # Normalization
//
// Normalize returns a new map and never edits its input. It trims every
// top-level string and lower-cases signer_relationship. Types stay strict:
// the string "true" is not turned into true.
//
// # Rules and evidence
//
// CheckRules allows one contract per player per season: it claims Scope
// "contract-season:" + season, Value the player ID, Field "/player_id". A
// checkout without a player is refused on "/player_id".
//
// Evidence stamps terms_sha256 (hex SHA-256 of terms_text, or of terms_url
// when there is no text), terms_version, accepted_at (the checkout time in
// UTC, RFC 3339 with nanoseconds), client_ip and, when configured,
// terms_url.
package contract
