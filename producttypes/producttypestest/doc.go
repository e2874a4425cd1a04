// Package producttypestest is the conformance suite every product type runs,
// in the manner of Tailscale's storetest: one call from the plugin's tests,
//
//	func TestConformance(t *testing.T) {
//		producttypestest.Run(t, jersey.New(), os.DirFS("testdata/cases"))
//	}
//
// proves that the type honours the producttypes contract.
//
// # What the suite checks of the type
//
//   - Name matches ^[a-z][a-z0-9_-]{0,39}$, Title and Description are not
//     empty, and DefaultCategory matches ^[a-z0-9-]{1,40}$.
//   - The type registers in a fresh producttypes.NewRegistry.
//   - ConfigSchema compiles and is a top-level "type": "object" that rejects
//     unknown fields ("additionalProperties": false or
//     "unevaluatedProperties": false).
//
// # Case files
//
// Every *.json file at the root of the cases file system is one case; there
// must be at least one. Unknown keys are an error, so a typo cannot silently
// skip a check. The shape is:
//
//	{
//	  "name": "a youth jersey with a required number",
//	  "config": {"top_sizes": ["YS", "YM"], "bottom_sizes": ["YS"]},
//	  "price_cents": 4500,
//	  "currency": "usd",
//	  "valid": [
//	    {"jersey_number": 7, "top_size": "YS", "bottom_size": "YS"},
//	    {"jersey_number": " 07", "top_size": "ym ", "bottom_size": "ys"}
//	  ],
//	  "invalid": [
//	    {"data": {"top_size": "XXL", "bottom_size": "YS", "jersey_number": 7},
//	     "fields": ["/custom_data/top_size"]}
//	  ],
//	  "invalid_configs": [
//	    {"name": "an opt-out jersey must be free",
//	     "config": {"opt_out": true}, "price_cents": 100,
//	     "fields": ["/price_cents"]}
//	  ]
//	}
//
// "name" is required and names the subtest. "currency" defaults to "usd".
// "config" may be left out only by a file that has nothing but
// "invalid_configs"; when it is given, "valid" needs at least one entry.
//
// For "config" the suite checks: the registry's ValidateConfig (prefix
// "/config") accepts it; ValidateProduct, when the type is a
// ProductValidator, accepts it with price_cents and currency; BuyerSchema
// returns equal bytes on two calls, compiles with producttypes.CompileSchema
// and has top-level "type": "object" and "additionalProperties": false.
//
// Each "valid" entry is a custom_data object exactly as a buyer would send
// it. The suite decodes it with producttypes.DecodeJSON (numbers as
// json.Number), normalizes it when the type is a Normalizer, and checks that
// normalizing again changes nothing, that the buyer schema accepts it (prefix
// "/custom_data"), that CheckRules, when the type is a RuleChecker, returns
// no error, no field error and only claims with a Scope, a Value and a Field
// pointer, and that Evidence, when the type is an Evidencer, returns a
// non-empty object that encodes as JSON. It then decodes the entry again with
// plain encoding/json (numbers as float64) and checks that it still validates
// and yields the same claims.
//
// Each "invalid" entry has "data" (the custom_data) and "fields" (at least
// one JSON Pointer). After normalizing (which must again be idempotent), the
// buyer schema's field errors, or, when the schema accepts the data,
// CheckRules' field errors, must name exactly the listed fields: order and
// repeats do not matter, a missing or an extra field fails.
//
// Each "invalid_configs" entry has "name", "config", "price_cents",
// optional "currency" and "fields". ValidateConfig's field errors, or, when
// the config schema accepts the config, ValidateProduct's, must name exactly
// the listed fields ("/config/number_max", "/price_cents").
//
// RuleInput and EvidenceInput get fixed values: tenant
// "producttypestest-tenant", product "producttypestest-product", player
// "producttypestest-player", client IP "192.0.2.10" and the time
// 2026-03-01T12:00:00Z.
//
// A panic in any of the type's methods is reported as a failure of the case,
// not a crash of the test binary.
//
// # Fuzzing buyer data
//
// FuzzCustomData is the fuzz target of the same contract:
//
//	func FuzzCustomData(f *testing.F) {
//		producttypestest.FuzzCustomData(f, jersey.New(), os.DirFS("testdata/cases"))
//	}
//
// Every case's "valid" and "invalid" data are its seeds, with the corpus in
// testdata/fuzz/FuzzCustomData. Each input, taken as the raw custom_data of
// a checkout, goes through the steps of platform/orders' checkout (absent
// or null is {}, producttypes.DecodeJSON, an object is required, Normalize,
// the compiled buyer schema with the prefix "/custom_data") for the config
// of every case file, twice, and must meet these invariants: nothing panics
// (and Validate reports no panic it caught); both runs give the same field
// errors; Normalize leaves its input map as it was, and normalizing its
// result again changes nothing; field errors are sorted, have a message and
// a JSON Pointer under /custom_data that names a member of the normalized
// data, or, for "is required", a member missing from an object there; and
// data the schema accepts passes CheckRules without an error (field errors
// from it are pointers, claims are whole), gets evidence that encodes, and
// encodes as JSON for storage.
package producttypestest
