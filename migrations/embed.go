// Package migrations holds the numbered SQL migrations of the checkout
// platform, embedded into the binary and applied by goose (see platform/db).
//
// The migrations create the NOLOGIN group role checkout_app and grant it the
// data privileges the application needs. The application connects as a
// login role that is a member of checkout_app and is neither the owner of the
// tables, a superuser, nor BYPASSRLS, so row-level security applies to it.
package migrations

import "embed"

// FS holds every migration file.
//
//go:embed *.sql
var FS embed.FS

// AppRole is the group role the application's login role must belong to.
const AppRole = "checkout_app"
