// Package producttypes is the contract between the checkout platform and the
// pluggable product types (jersey, contract, ...), in the manner of
// database/sql/driver: a leaf package that imports only the standard library
// and the JSON Schema library.
//
// A type implements the small Type interface. Extra capabilities are optional
// one-method interfaces found by type assertion: Normalizer, ProductValidator,
// RuleChecker, Evidencer and PaidHook. A Registry holds the registered types,
// panics on empty or duplicate names, and compiles every config schema once at
// start-up.
package producttypes
