package api_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// updateReference rewrites docs/api-reference.md from api/openapi.json:
// go test ./api -run TestAPIReference -update-reference
var updateReference = flag.Bool("update-reference", false, "rewrite docs/api-reference.md from api/openapi.json")

const referencePath = "../docs/api-reference.md"

func TestAPIReference(t *testing.T) {
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	t.Run("every operation says what it does", func(t *testing.T) {
		forEachOperation(doc, func(method, path string, op map[string]any) {
			if d, _ := op["description"].(string); len(d) < 20 {
				t.Errorf("%s %s has no description", strings.ToUpper(method), path)
			}
		})
	})
	t.Run("every request body has examples, and each is a valid body", func(t *testing.T) {
		c := docCompiler(t, raw)
		forEachOperation(doc, func(method, path string, op map[string]any) {
			body, ok := op["requestBody"].(map[string]any)
			if !ok {
				return
			}
			content := body["content"].(map[string]any)["application/json"].(map[string]any)
			examples, _ := content["examples"].(map[string]any)
			if len(examples) == 0 {
				t.Errorf("%s %s: its request body has no examples", strings.ToUpper(method), path)
				return
			}
			ref := content["schema"].(map[string]any)["$ref"].(string)
			schema, err := c.Compile(docURL + ref)
			if err != nil {
				t.Fatalf("%s: %v", ref, err)
			}
			for name, ex := range examples {
				value := ex.(map[string]any)["value"]
				b, _ := json.Marshal(value)
				v := decodeNumbers(t, b)
				if err := schema.Validate(v); err != nil {
					t.Errorf("%s %s example %q is not a valid %s: %v", strings.ToUpper(method), path, name, ref, err)
				}
			}
		})
	})
	t.Run("docs/api-reference.md is rendered from this document", func(t *testing.T) {
		want := renderReference(doc)
		if *updateReference {
			if err := os.WriteFile(referencePath, want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(referencePath)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("docs/api-reference.md is stale (%v): go test ./api -run TestAPIReference -update-reference", err)
		}
	})
}

// renderReference is the reference for people: the operations by tag, each
// with its method and path, who may call it, what it does, its parameters,
// an example body and its answers.
func renderReference(doc map[string]any) []byte {
	var b bytes.Buffer
	info := doc["info"].(map[string]any)
	fmt.Fprintf(&b, "# API reference\n\n<!-- Rendered from api/openapi.json by `go test ./api -run TestAPIReference -update-reference`; do not edit. -->\n\n")
	fmt.Fprintf(&b, "%s, version %s. The contract these routes implement is [contract.md](contract.md); the machine-readable "+
		"document is served at `/openapi.json`.\n\n", info["title"], info["version"])
	type entry struct{ tag, method, path string }
	var entries []entry
	forEachOperation(doc, func(method, path string, op map[string]any) {
		tag := "other"
		if tags, ok := op["tags"].([]any); ok && len(tags) > 0 {
			tag = tags[0].(string)
		}
		entries = append(entries, entry{tag, method, path})
	})
	var tags []string
	for _, e := range entries {
		if !slices.Contains(tags, e.tag) {
			tags = append(tags, e.tag)
		}
	}
	paths := doc["paths"].(map[string]any)
	for _, tag := range tags {
		fmt.Fprintf(&b, "## %s\n\n", tag)
		for _, e := range entries {
			if e.tag != tag {
				continue
			}
			op := paths[e.path].(map[string]any)[e.method].(map[string]any)
			fmt.Fprintf(&b, "### `%s %s`\n\n", strings.ToUpper(e.method), e.path)
			if s, _ := op["summary"].(string); s != "" {
				fmt.Fprintf(&b, "**%s.** ", s)
			}
			fmt.Fprintf(&b, "%s\n\n", op["description"])
			fmt.Fprintf(&b, "Who: %s.\n\n", who(op))
			if params := queryParams(doc, paths[e.path].(map[string]any), op); len(params) > 0 {
				fmt.Fprintf(&b, "Query: %s.\n\n", strings.Join(params, ", "))
			}
			if body, ok := op["requestBody"].(map[string]any); ok {
				content := body["content"].(map[string]any)["application/json"].(map[string]any)
				examples, _ := content["examples"].(map[string]any)
				names := make([]string, 0, len(examples))
				for n := range examples {
					names = append(names, n)
				}
				slices.Sort(names)
				for _, n := range names {
					ex := examples[n].(map[string]any)
					label := n
					if s, _ := ex["summary"].(string); s != "" {
						label = s
					}
					v, _ := json.MarshalIndent(ex["value"], "", "  ")
					fmt.Fprintf(&b, "Example body (%s):\n\n```json\n%s\n```\n\n", label, v)
				}
			}
			responses := op["responses"].(map[string]any)
			codes := make([]string, 0, len(responses))
			for c := range responses {
				codes = append(codes, c)
			}
			slices.Sort(codes)
			fmt.Fprintf(&b, "Answers: %s.\n\n", strings.Join(codes, ", "))
		}
	}
	return b.Bytes()
}

func who(op map[string]any) string {
	sec, ok := op["security"].([]any)
	if !ok || len(sec) == 0 {
		return "anyone (no credentials)"
	}
	var out []string
	for _, s := range sec {
		for scheme, roles := range s.(map[string]any) {
			r, _ := roles.([]any)
			switch {
			case scheme == "tenantKey" && len(r) > 0:
				out = append(out, fmt.Sprintf("a league API key of role %v or higher", r[0]))
			case scheme == "platformToken":
				out = append(out, "the platform operator (CHECKOUT_PLATFORM_TOKEN)")
			case scheme == "registrationToken":
				out = append(out, "a household's registration token")
			default:
				out = append(out, scheme)
			}
		}
	}
	return strings.Join(out, " or ")
}

// queryParams names the operation's query parameters.
func queryParams(doc map[string]any, item, op map[string]any) []string {
	var out []string
	add := func(list any) {
		ps, _ := list.([]any)
		for _, p := range ps {
			pm := p.(map[string]any)
			if ref, ok := pm["$ref"].(string); ok {
				if r, ok := pointer(doc, strings.TrimPrefix(ref, "#")); ok {
					pm = r.(map[string]any)
				}
			}
			if pm["in"] == "query" {
				out = append(out, "`"+pm["name"].(string)+"`")
			}
		}
	}
	add(item["parameters"])
	add(op["parameters"])
	return out
}
