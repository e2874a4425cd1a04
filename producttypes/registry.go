package producttypes

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"sync"
)

var (
	nameRE     = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,39}$`)
	categoryRE = regexp.MustCompile(`^[a-z0-9-]{1,40}$`)
)

// Registry holds the registered product types. The zero value is not usable;
// create one with NewRegistry. It is safe for concurrent use once
// registration is done.
type Registry struct {
	mu     sync.RWMutex
	types  map[string]Type
	config map[string]*Schema
	info   map[string]Info
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{types: map[string]Type{}, config: map[string]*Schema{}, info: map[string]Info{}}
}

// Register adds types to the registry. Like database/sql.Register it panics
// when a type is nil, its name is empty or malformed, a name is registered
// twice, its default category is malformed, or its config schema does not
// compile: these are programming errors that must stop start-up. Each
// type's Info is read here, once; serving it never calls into the type
// again.
func (r *Registry) Register(types ...Type) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range types {
		if t == nil {
			panic("producttypes: Register type is nil")
		}
		info := infoOf(t)
		name := info.Name
		if name == "" {
			panic("producttypes: Register type with empty name")
		}
		if !nameRE.MatchString(name) {
			panic(fmt.Sprintf("producttypes: Register type name %q is not ^[a-z][a-z0-9_-]{0,39}$", name))
		}
		if _, dup := r.types[name]; dup {
			panic("producttypes: Register called twice for type " + name)
		}
		if len(info.ConfigSchema) == 0 {
			info.ConfigSchema = json.RawMessage(`{"type":"object","additionalProperties":false}`)
		}
		if !categoryRE.MatchString(info.DefaultCategory) {
			panic(fmt.Sprintf("producttypes: type %s has a malformed default category %q", name, info.DefaultCategory))
		}
		s, err := CompileSchema(info.ConfigSchema)
		if err != nil {
			panic(fmt.Sprintf("producttypes: config schema of type %s: %v", name, err))
		}
		r.types[name] = t
		r.config[name] = s
		r.info[name] = info
	}
}

// Get returns the type registered under name.
func (r *Registry) Get(name string) (Type, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	t, ok := r.types[name]
	return t, ok
}

// Info returns the static description of the type registered under name.
func (r *Registry) Info(name string) (Info, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	i, ok := r.info[name]
	return i, ok
}

// Names returns the registered names, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.types))
	for n := range r.types {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ValidateConfig checks a product config against the type's compiled config
// schema. Field pointers are prefixed with prefix (for example "/config").
func (r *Registry) ValidateConfig(name string, config json.RawMessage, prefix string) ([]FieldError, error) {
	r.mu.RLock()
	s, ok := r.config[name]
	r.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("producttypes: unknown type %q", name)
	}
	v, err := DecodeJSON(config)
	if err != nil {
		return []FieldError{{Field: prefixOrRoot(prefix), Message: "must be a JSON object"}}, nil
	}
	return s.Validate(v, prefix), nil
}

func prefixOrRoot(prefix string) string {
	if prefix == "" {
		return "/"
	}
	return prefix
}

// infoOf reads a type's Info; a panic in it is the registration's panic,
// with the type named.
func infoOf(t Type) (info Info) {
	defer func() {
		if v := recover(); v != nil {
			panic(fmt.Sprintf("producttypes: Info of %T panicked: %v", t, v))
		}
	}()
	return t.Info()
}
