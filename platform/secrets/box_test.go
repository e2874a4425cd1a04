package secrets_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/leaguepay/checkout/platform/secrets"
)

func TestBox(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	box, err := secrets.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := box.Seal([]byte("sk_test_123"), []byte("tenant-a/secret_key"))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("a sealed value opens with the same key and owner", func(t *testing.T) {
		got, err := box.Open(sealed, []byte("tenant-a/secret_key"))
		if err != nil || string(got) != "sk_test_123" {
			t.Fatalf("Open = %q, %v", got, err)
		}
	})
	t.Run("the sealed value does not contain the plaintext", func(t *testing.T) {
		if bytes.Contains(sealed, []byte("sk_test_123")) {
			t.Fatal("plaintext visible in sealed value")
		}
	})
	t.Run("a value copied to another owner does not open", func(t *testing.T) {
		if _, err := box.Open(sealed, []byte("tenant-b/secret_key")); err == nil {
			t.Fatal("opened under another owner")
		}
	})
	t.Run("another key does not open it", func(t *testing.T) {
		other, _ := secrets.NewBox(bytes.Repeat([]byte{8}, 32))
		if _, err := other.Open(sealed, []byte("tenant-a/secret_key")); err == nil {
			t.Fatal("opened with another key")
		}
	})
	t.Run("sealing twice gives different ciphertexts", func(t *testing.T) {
		again, _ := box.Seal([]byte("sk_test_123"), []byte("tenant-a/secret_key"))
		if bytes.Equal(again, sealed) {
			t.Fatal("nonce reused")
		}
	})
	t.Run("without a key nothing is sealed", func(t *testing.T) {
		empty, _ := secrets.NewBox(nil)
		if _, err := empty.Seal([]byte("x"), nil); !errors.Is(err, secrets.ErrNoKey) {
			t.Fatalf("err = %v, want ErrNoKey", err)
		}
	})
	t.Run("a key of the wrong size is refused", func(t *testing.T) {
		if _, err := secrets.NewBox(make([]byte, 16)); err == nil {
			t.Fatal("16-byte key accepted")
		}
	})
}
