package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

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
