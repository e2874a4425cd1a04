// Package producttypes is the contract between the checkout platform and the
// pluggable product types (jersey, contract, ...), in the manner of
// database/sql/driver: a leaf package that imports only the standard library
// and the JSON Schema library.
//
// A type implements Type, one method returning its static Info. Extra
// capabilities are optional one-method interfaces found by type assertion:
// ConfigDecoder, BuyerSchemer, Normalizer, ProductValidator, RuleChecker,
// Evidencer and PaidHook; every one of them gets the product's config as a
// Config, decoded once per product version. The platform calls them only
// through the guarded functions of guard.go. A Registry holds the
// registered types, panics on empty, malformed or duplicate names, and
// compiles every config schema once at start-up.
package producttypes
