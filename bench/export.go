package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// exportRun is one CSV export of the large league, read as fast as the
// client can.
type exportRun struct {
	rows      int64
	bytes     int64
	firstByte time.Duration
	took      time.Duration
	baseKB    int64 // the server's RSS before
	peakKB    int64 // VmHWM after resetting it (or the sampled peak)
	sampledKB int64 // the highest VmRSS seen every 20 ms
	hwmReset  bool  // VmHWM could be reset, so peakKB is this export's
}

func (r exportRun) rate() float64 { return float64(r.rows) / r.took.Seconds() }

// exportCSV downloads GET /admin/orders.csv once and counts its rows.
func exportCSV(ctx context.Context, t target, pid int) (exportRun, error) {
	var run exportRun
	run.baseKB, _ = procStatus(pid, "VmRSS")
	run.hwmReset = resetPeakRSS(pid)
	stop := rssSampler(pid, 20*time.Millisecond)
	req, err := request(ctx, http.MethodGet, t.tenantPath()+"/admin/orders.csv", nil, "Authorization", "Bearer "+t.l.Viewer)
	if err != nil {
		stop()
		return run, err
	}
	start := time.Now()
	res, err := t.client.Do(req)
	if err != nil {
		stop()
		return run, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		stop()
		b, _ := io.ReadAll(res.Body)
		return run, fmt.Errorf("export: status %d: %s", res.StatusCode, brief(b))
	}
	buf := make([]byte, 256<<10)
	var lines int64
	for {
		n, err := res.Body.Read(buf)
		if n > 0 {
			if run.bytes == 0 {
				run.firstByte = time.Since(start)
			}
			run.bytes += int64(n)
			lines += int64(bytes.Count(buf[:n], []byte{'\n'}))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			stop()
			return run, fmt.Errorf("export: read after %d bytes: %w", run.bytes, err)
		}
	}
	run.took = time.Since(start)
	run.sampledKB = stop()
	run.rows = lines - 1 // the header
	run.peakKB = run.sampledKB
	if hwm, err := procStatus(pid, "VmHWM"); err == nil && run.hwmReset {
		run.peakKB = hwm
	}
	return run, nil
}
