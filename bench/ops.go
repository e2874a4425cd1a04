package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// httpOp is one kind of HTTP request: build makes the i-th request; the
// answer must have status want and, when check is set, contain it.
type httpOp struct {
	client *http.Client
	want   int
	check  []byte
	build  func(ctx context.Context, i int64) (*http.Request, error)
}

var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (h httpOp) do(ctx context.Context, i int64) error {
	req, err := h.build(ctx, i)
	if err != nil {
		return err
	}
	res, err := h.client.Do(req)
	if err != nil {
		return transportError(err)
	}
	buf := bufs.Get().(*bytes.Buffer)
	defer bufs.Put(buf)
	buf.Reset()
	_, err = buf.ReadFrom(res.Body)
	res.Body.Close()
	if err != nil {
		return transportError(err)
	}
	if res.StatusCode != h.want {
		return fmt.Errorf("status %d: %s", res.StatusCode, brief(buf.Bytes()))
	}
	if h.check != nil && !bytes.Contains(buf.Bytes(), h.check) {
		return fmt.Errorf("status %d without %s: %s", res.StatusCode, h.check, brief(buf.Bytes()))
	}
	return nil
}

// brief is the start of a body with ids masked, so one kind of answer
// counts as one error kind.
func brief(b []byte) string {
	s := idLike.ReplaceAllString(string(b), "…")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

// transportError keeps the last part of a client error (the addresses and
// ports before it vary from one connection to the next).
func transportError(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return fmt.Errorf("transport: %s", msg)
}

// request is a request with a body and headers.
func request(ctx context.Context, method, url string, body []byte, header ...string) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req, nil
}
