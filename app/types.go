package app

import (
	"github.com/leaguepay/checkout/producttypes"
	"github.com/leaguepay/checkout/producttypes/contract"
	"github.com/leaguepay/checkout/producttypes/jersey"
)

// Registry registers every product type this build offers, then extra.
// Adding a type to the build is one package and one argument here.
func Registry(extra ...producttypes.Type) *producttypes.Registry {
	r := producttypes.NewRegistry()
	r.Register(jersey.New(), contract.New())
	r.Register(extra...)
	return r
}
