package stripemock

import (
	"net/http"
	"os"
	"testing"
)

func TestStart(t *testing.T) {
	var urls []string
	t.Run("two processes run at once, each on its own port", func(t *testing.T) {
		a, b := Start(t), Start(t)
		if a == b {
			t.Fatalf("both processes at %s", a)
		}
		for _, u := range []string{a, b} {
			req, _ := http.NewRequest(http.MethodGet, u+"/v1/checkout/sessions/cs_test_1", nil)
			req.Header.Set("Authorization", "Bearer "+Key)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("GET %s: %v", u, err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Errorf("GET %s: status %d", u, res.StatusCode)
			}
		}
		urls = []string{a, b}
	})
	t.Run("both are stopped and the build is removed when their test ends", func(t *testing.T) {
		for _, u := range urls {
			if res, err := http.Get(u + "/v1/customers/cus_1"); err == nil {
				res.Body.Close()
				t.Errorf("%s still answers", u)
			}
		}
		buildMu.Lock()
		dir, users := binDir, binUsers
		buildMu.Unlock()
		if dir != "" || users != 0 {
			t.Errorf("build dir %q with %d users after every process stopped", dir, users)
		}
	})
	t.Run("the module root holds the go.mod that pins stripe-mock", func(t *testing.T) {
		root, err := moduleRoot("go")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(root + "/go.mod"); err != nil {
			t.Error(err)
		}
	})
}

func TestServerKillAndRestart(t *testing.T) {
	answers := func(u string) bool {
		req, _ := http.NewRequest(http.MethodGet, u+"/v1/checkout/sessions/cs_test_1", nil)
		req.Header.Set("Authorization", "Bearer "+Key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}
	s := StartServer(t)
	if !answers(s.URL) {
		t.Fatalf("%s does not answer", s.URL)
	}
	s.Kill()
	t.Run("a killed server refuses connections", func(t *testing.T) {
		if _, err := http.Get(s.URL + "/v1/customers/cus_1"); err == nil {
			t.Errorf("%s still answers after Kill", s.URL)
		}
	})
	s.Kill() // a second kill does nothing
	t.Run("a restarted server answers on the same address", func(t *testing.T) {
		s.Restart(t)
		if !answers(s.URL) {
			t.Errorf("%s does not answer after Restart", s.URL)
		}
	})
}
