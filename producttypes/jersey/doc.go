// Package jersey is the product type for team jerseys: a product manager
// offers top and bottom sizes and a number range, a buyer picks sizes, a
// number and, when allowed, a name for the back.
//
// The type is named "jersey" and its default category is "uniforms".
//
// # Config
//
// The config schema is config.schema.json. Sizes are upper-case tokens of
// letters, digits, ".", "/" and "-" (for example "YS", "AXL", "10/12"), at
// most 16 characters, unique within a list. number_min and number_max lie in
// 0..999 and default to 0 and 99; number_required defaults to true;
// name_on_back and opt_out default to false. number_scope, when set, is a
// lower-case key such as "u12-blue-2026" (letters, digits, "_", "." and "-";
// no ":" so it cannot collide with product scopes).
//
// ValidateProduct adds what the schema cannot say: an opt-out jersey must be
// free ("/price_cents"); any other jersey offers at least one top and one
// bottom size ("/config/top_sizes", "/config/bottom_sizes"); number_min is
// not above number_max ("/config/number_max"). Sizes and number settings of
// an opt-out jersey are accepted and ignored.
//
// # Buyer schema
//
// A regular jersey asks for top_size and bottom_size (enums of the offered
// sizes, required), jersey_number (integer in number_min..number_max,
// required iff number_required) and, only when name_on_back is set,
// name_on_back: 1 to 12 characters, starting with a letter, then letters
// (any script, with combining marks), spaces, apostrophes, hyphens and
// periods. An opt-out jersey asks for nothing and accepts an optional
// reason of at most 200 characters. Every buyer schema refuses unknown
// fields.
//
// # Normalization
//
// Normalize returns a new map and never edits its input. It trims every
// top-level string; upper-cases top_size and bottom_size; turns a
// jersey_number given as a string of digits (" 07") into the json.Number of
// its canonical decimal ("7"); drops a jersey_number or name_on_back that is
// empty after trimming (an empty optional form field); in name_on_back
// collapses runs of white space into one space, turns the typographic
// apostrophe (U+2019) into "'" and upper-cases it, since jerseys print in
// capitals. Numbers given as numbers are left as they are.
//
// # Rules
//
// CheckRules claims the jersey number within its scope: Scope is
// "jersey:" + number_scope, or "jersey:product:" + the product ID when
// number_scope is empty; Value is the number in canonical decimal ("7", never
// "07" or "7.0"); Field is "/custom_data/jersey_number". An opt-out jersey,
// or a jersey bought without a number, claims nothing.
package jersey
