package payments_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/leaguepay/checkout/internal/testkit/stripemock"
	"github.com/leaguepay/checkout/platform/payments"
)

func TestAccountRef(t *testing.T) {
	const acct = "acct_1League000000"
	own := func(key, account string) payments.Account {
		return payments.Account{Mode: payments.ModeOwnKeys, SecretKey: key, AccountID: account}
	}
	same := []struct {
		name string
		a, b payments.Account
	}{
		{"two keys of one account in test mode name one namespace",
			own("sk_test_firstkey0001", acct), own("sk_test_secondkey002", acct)},
		{"a restricted and a secret key of one account name one namespace",
			own("sk_live_firstkey0001", acct), own("rk_live_secondkey002", acct)},
	}
	for _, tc := range same {
		t.Run(tc.name, func(t *testing.T) {
			if tc.a.Ref() != tc.b.Ref() {
				t.Errorf("%q and %q", tc.a.Ref(), tc.b.Ref())
			}
		})
	}
	different := []struct {
		name string
		a, b payments.Account
	}{
		{"test and live mode of one account are different namespaces",
			own("sk_test_firstkey0001", acct), own("sk_live_firstkey0001", acct)},
		{"two accounts are different namespaces", own("sk_test_firstkey0001", acct), own("sk_test_firstkey0001", "acct_2Other0000000")},
		{"without a recorded account, two keys sharing their last four characters are different namespaces",
			own("sk_test_aaaaaaaa1234", ""), own("sk_test_bbbbbbbb1234", "")},
		{"own keys and Connect on the same account are different namespaces",
			own("sk_test_firstkey0001", acct), payments.Account{Mode: payments.ModeConnect, SecretKey: "sk_test_platform", AccountID: acct}},
	}
	for _, tc := range different {
		t.Run(tc.name, func(t *testing.T) {
			if tc.a.Ref() == tc.b.Ref() {
				t.Errorf("both %q", tc.a.Ref())
			}
		})
	}
	t.Run("the refs name the account and mode, and never any part of a key", func(t *testing.T) {
		want := map[string]payments.Account{
			"own:" + acct + ":test":    own("sk_test_firstkey0001", acct),
			"own:" + acct + ":live":    own("rk_live_firstkey0001", acct),
			"connect:" + acct:          {Mode: payments.ModeConnect, SecretKey: "sk_test_platform", AccountID: acct},
			payments.ModeSandbox:       {Mode: payments.ModeSandbox},
			"own:key-207d78f6fc436f17": own("sk_test_aaaaaaaa1234", ""),
		}
		for ref, a := range want {
			if got := a.Ref(); got != ref {
				t.Errorf("%+v: ref %q, want %q", a, got, ref)
			}
			if strings.Contains(a.Ref(), "1234") || strings.Contains(a.Ref(), "key0001") {
				t.Errorf("ref %q holds part of the key", a.Ref())
			}
		}
	})
}

func TestStripeAccount(t *testing.T) {
	mock := stripemock.Start(t)
	p := payments.NewStripe(mock)
	ctx := context.Background()
	connect := func(key, id string) payments.Account {
		return payments.Account{Mode: payments.ModeConnect, SecretKey: key, AccountID: id}
	}
	// stripe-mock answers GET /v1/account with a fresh acct_ id each time and
	// GET /v1/accounts/{id} with that id; the platform's own account being
	// refused for Connect needs a stable id, so api's tests check it.
	cases := []struct {
		name string
		p    *payments.Stripe
		acct payments.Account
		want string // the account id, or its prefix "acct_"; "" for an error
		err  error
	}{
		{"own keys read the account the key belongs to", p,
			payments.Account{Mode: payments.ModeOwnKeys, SecretKey: "sk_test_" + strings.Repeat("a", 24)}, "acct_", nil},
		{"a key Stripe does not accept is refused", p,
			payments.Account{Mode: payments.ModeOwnKeys, SecretKey: "sk_live_" + strings.Repeat("a", 24)}, "", payments.ErrRefused},
		{"a Connect account Stripe shows to the platform is read back", p,
			connect(stripemock.Key, "acct_1Connected00000"), "acct_1Connected00000", nil},
		{"a platform key Stripe does not accept is the provider's failure, not the league's", p,
			connect("sk_live_"+strings.Repeat("b", 24), "acct_1Connected00000"), "", payments.ErrProvider},
		{"own keys with Stripe unreachable are the provider's failure", payments.NewStripe("http://127.0.0.1:1"),
			payments.Account{Mode: payments.ModeOwnKeys, SecretKey: stripemock.Key}, "", payments.ErrProvider},
		{"Connect with Stripe unreachable is the provider's failure", payments.NewStripe("http://127.0.0.1:1"),
			connect(stripemock.Key, "acct_1Connected00000"), "", payments.ErrProvider},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			info, err := tc.p.Account(ctx, tc.acct)
			ok := info.ID == tc.want || (tc.want == "acct_" && strings.HasPrefix(info.ID, "acct_") && len(info.ID) > 5)
			if !ok || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Errorf("%+v, %v; want %q, %v", info, err, tc.want, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), tc.acct.SecretKey) {
				t.Errorf("the error quotes the key: %v", err)
			}
		})
	}
}

func TestSandboxAccount(t *testing.T) {
	s := payments.NewSandbox("http://checkout.test")
	ctx := context.Background()
	t.Run("a Connect account is accepted as given", func(t *testing.T) {
		info, err := s.Account(ctx, payments.Account{Mode: payments.ModeConnect, AccountID: "acct_1Connected00000"})
		if err != nil || info.ID != "acct_1Connected00000" {
			t.Errorf("%+v, %v", info, err)
		}
	})
	t.Run("own keys get a stable account id of the key", func(t *testing.T) {
		a, err1 := s.Account(ctx, payments.Account{Mode: payments.ModeOwnKeys, SecretKey: "sk_test_aaaaaaaa1234"})
		b, err2 := s.Account(ctx, payments.Account{Mode: payments.ModeOwnKeys, SecretKey: "sk_test_aaaaaaaa1234"})
		if err1 != nil || err2 != nil || a != b || !strings.HasPrefix(a.ID, "acct_sandbox") || strings.Contains(a.ID, "1234") {
			t.Errorf("%+v, %v; %+v, %v", a, err1, b, err2)
		}
	})
}
