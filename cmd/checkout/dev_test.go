package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestDevCurlLines pastes every curl line checkout dev prints, in order,
// against a server wired as checkout dev wires it, then pays the priced
// checkout the way the printed hint says (POST <checkout_url>/pay).
func TestDevCurlLines(t *testing.T) {
	retireDemo(t)
	srv := startSandboxServer(t)
	d, key, token, err := devDemo(context.Background(), srv.services, srv.cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	printCurls(&out, srv.cfg, d, key, token)
	lines := curlLines(out.String())
	if len(lines) != 8 {
		t.Fatalf("checkout dev printed %d curl lines, want 8:\n%s", len(lines), out.String())
	}
	var checkoutURL string
	for _, line := range lines {
		status, body := runCurl(t, line)
		if status != http.StatusOK && status != http.StatusCreated {
			t.Errorf("%s\nanswered %d: %s", line, status, body)
			continue
		}
		var res struct {
			CheckoutURL *string `json:"checkout_url"`
		}
		if strings.Contains(line, "/checkout ") && json.Unmarshal(body, &res) == nil && res.CheckoutURL != nil {
			checkoutURL = *res.CheckoutURL
		}
	}
	if checkoutURL == "" {
		t.Fatalf("no printed checkout answered a checkout_url:\n%s", out.String())
	}
	t.Run("posting to the checkout page's pay address shows the order paid", func(t *testing.T) {
		res, err := http.Post(checkoutURL+"/pay", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		page, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK || !strings.Contains(string(page), `id="status">paid<`) {
			t.Errorf("after pay: %d\n%s", res.StatusCode, page)
		}
	})
}

// curlLines returns the curl commands of checkout dev's output, with
// continuation lines joined.
func curlLines(out string) []string {
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(out, "\\\n", ""), "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "curl ") {
			lines = append(lines, l)
		}
	}
	return lines
}

// runCurl runs one printed curl line (-s, -X, -H, -d and a URL, values in
// single quotes) with net/http.
func runCurl(t *testing.T, line string) (int, []byte) {
	t.Helper()
	args := shellWords(t, line)
	method, url, body := http.MethodGet, "", ""
	header := http.Header{}
	for i := 1; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-s":
		case a == "-X" && i+1 < len(args):
			i++
			method = args[i]
		case a == "-H" && i+1 < len(args):
			i++
			name, value, _ := strings.Cut(args[i], ":")
			header.Add(name, strings.TrimSpace(value))
		case a == "-d" && i+1 < len(args):
			i++
			body = args[i]
		case strings.HasPrefix(a, "http"):
			url = a
		default:
			t.Fatalf("%s: unexpected argument %q", line, a)
		}
	}
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	req.Header = header
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// shellWords splits a command line on spaces outside single quotes.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	var w strings.Builder
	quoted, inWord := false, false
	for _, r := range line {
		switch {
		case r == '\'':
			quoted, inWord = !quoted, true
		case r == ' ' && !quoted:
			if inWord {
				words = append(words, w.String())
				w.Reset()
			}
			inWord = false
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("unbalanced quote in %s", line)
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}
