package api

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// errEncodedBody is a request that declares a Content-Encoding (gzip,
// deflate, br, …): its body is refused with a 415 before anything reads it.
var errEncodedBody = errors.New("api: content-encoded request bodies are not accepted")

// refuseEncodedBodies is the app-level guard against decompression bombs.
// Fiber's c.Body() inflates a gzip, deflate or br body with no bound, so a
// body far under BodyLimit on the wire could grow without limit in memory;
// the API takes bodies only as sent. Every Content-Encoding line is checked
// (Fiber acts on the last, a proxy may on the first), and a list naming
// anything but identity is refused.
func refuseEncodedBodies(c *fiber.Ctx) error {
	encoded := false
	c.Request().Header.VisitAll(func(key, value []byte) {
		if !strings.EqualFold(string(key), fiber.HeaderContentEncoding) {
			return
		}
		for _, coding := range strings.Split(string(value), ",") {
			if coding = strings.TrimSpace(coding); coding != "" && !strings.EqualFold(coding, "identity") {
				encoded = true
			}
		}
	})
	if encoded {
		// RFC 9110 §15.5.16: name the content codings that would be taken.
		c.Set(fiber.HeaderAcceptEncoding, "identity")
		return errEncodedBody
	}
	return c.Next()
}
