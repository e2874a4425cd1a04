package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strconv"
	"time"
)

// server is one `checkout serve` child process, configured from the
// environment as in production.
type server struct {
	*child
	base     string // http://127.0.0.1:PORT
	payments string // stripe or sandbox
	logPath  string
}

// serverEnv is what every server of a run shares.
type serverEnv struct {
	bin           string
	databaseURL   string // the application (non-owner) role
	platformToken string
	encryptionKey string
	stripeURL     string // stripe-mock
}

// start runs `checkout serve` with payments (stripe or sandbox) and waits
// until /readyz answers 200.
func (e serverEnv) start(payments, logPath string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	env := map[string]string{
		"CHECKOUT_DATABASE_URL":   e.databaseURL,
		"CHECKOUT_HTTP_ADDR":      addr,
		"CHECKOUT_PUBLIC_URL":     "http://" + addr,
		"CHECKOUT_PLATFORM_TOKEN": e.platformToken,
		"CHECKOUT_ENCRYPTION_KEY": e.encryptionKey,
		"CHECKOUT_PAYMENTS":       payments,
		"CHECKOUT_STRIPE_API_URL": e.stripeURL,
		// Every request comes from one loopback address; the limiter still
		// runs on each buyer request, it just never says no.
		"CHECKOUT_BUYER_RATE_LIMIT": "1000000000",
		"CHECKOUT_SHUTDOWN_GRACE":   "5s",
	}
	c, err := startChild("checkout serve ("+payments+")", e.bin, []string{"serve"}, childEnv(env), logPath)
	if err != nil {
		return nil, err
	}
	s := &server{child: c, base: "http://" + addr, payments: payments, logPath: logPath}
	if err := c.waitHTTP(s.base+"/readyz", nil, http.StatusOK, time.Minute); err != nil {
		c.stop(time.Second)
		return nil, err
	}
	return s, nil
}

// poolMax reads the server's connection pool size from its metrics.
func (s *server) poolMax() int {
	res, err := http.Get(s.base + "/metrics")
	if err != nil {
		return 0
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if v, ok := bytes.CutPrefix(sc.Bytes(), []byte("checkout_db_pool_max_connections ")); ok {
			f, _ := strconv.ParseFloat(string(v), 64)
			return int(f)
		}
	}
	return 0
}

// newClient is the load generator's HTTP client: keep-alive connections,
// as many as there are workers, no compression, no HTTP/2.
func newClient(conc int) *http.Client {
	return &http.Client{
		Timeout: 2 * time.Minute,
		Transport: &http.Transport{
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:          conc * 2,
			MaxIdleConnsPerHost:   conc,
			MaxConnsPerHost:       conc,
			IdleConnTimeout:       90 * time.Second,
			DisableCompression:    true,
			ForceAttemptHTTP2:     false,
			ResponseHeaderTimeout: time.Minute,
			WriteBufferSize:       16 << 10,
			ReadBufferSize:        16 << 10,
		},
	}
}

// apiClient makes the setup calls that must go through the application.
type apiClient struct {
	base   string
	client *http.Client
}

// call sends body (JSON) with the bearer token and decodes the answer into
// out; any status but want is an error quoting the answer.
func (a apiClient) call(ctx context.Context, method, path, token string, body, out any, want int) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := a.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decode: %w", method, path, err)
		}
	}
	return nil
}

// logSummary is what a server's log says about failures.
type logSummary struct {
	requests int
	byStatus map[int]int    // 5xx answers by status
	byRoute  map[string]int // 5xx answers by method and route
	errors   map[string]int // ERROR lines by message (and err, ids masked)
	warnings map[string]int // WARN lines by message
	samples  []string       // the first few ERROR lines as logged
	levels   map[string]int // lines by level
	unparsed int            // lines that are not JSON
}

// idLike masks ids in logged errors, so one kind of failure counts once.
var idLike = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(evt|cs|pi|cus)_[A-Za-z0-9_]+`)

// summarizeLog reads a server's JSON log.
func summarizeLog(path string) (logSummary, error) {
	s := logSummary{byStatus: map[int]int{}, byRoute: map[string]int{}, errors: map[string]int{},
		warnings: map[string]int{}, levels: map[string]int{}}
	f, err := os.Open(path)
	if err != nil {
		return s, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line struct {
			Level  string `json:"level"`
			Msg    string `json:"msg"`
			Err    string `json:"err"`
			Status int    `json:"status"`
			Method string `json:"method"`
			Route  string `json:"route"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			s.unparsed++
			continue
		}
		s.levels[line.Level]++
		if line.Msg == "request" {
			s.requests++
			if line.Status >= 500 {
				s.byStatus[line.Status]++
				s.byRoute[line.Method+" "+line.Route]++
			}
			continue
		}
		key := line.Msg
		if line.Err != "" {
			key += ": " + idLike.ReplaceAllString(line.Err, "…")
		}
		switch line.Level {
		case "ERROR":
			s.errors[key]++
			if len(s.samples) < 5 {
				s.samples = append(s.samples, sc.Text())
			}
		case "WARN":
			s.warnings[key]++
		}
	}
	return s, sc.Err()
}

// top lists a count map, largest first, at most n entries.
func top(m map[string]int, n int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] || m[keys[i]] == m[keys[j]] && keys[i] < keys[j] })
	if len(keys) > n {
		keys = keys[:n]
	}
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = fmt.Sprintf("%d× %s", m[k], k)
	}
	return out
}
