package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// cpuProbe samples, from /proc, the CPU time used by the machine and by
// the processes a benchmark cares about, to say where a window's CPU went.
// PostgreSQL's processes count as the run's unless they serve another
// database (another user of the same server shows as "other").
type cpuProbe struct {
	pids    map[string]int // named child processes (server, stripe-mock)
	db      string         // the run's database
	foreign map[int]bool   // PostgreSQL pids found serving another database
}

// cpuSample is one reading: clock ticks since boot.
type cpuSample struct {
	total, idle uint64
	irq         uint64 // irq + softirq (loopback networking is mostly softirq)
	named       map[string]uint64
	postgres    map[int]uint64 // by pid: backends come and go
	self        uint64
}

// cpuShares are fractions of the whole machine (all cores) over a window.
type cpuShares struct {
	busy     float64
	named    map[string]float64
	postgres float64
	self     float64
	irq      float64 // interrupts and softirqs (not charged to any process)
	other    float64 // every other process
}

func (p *cpuProbe) sample() cpuSample {
	s := cpuSample{named: map[string]uint64{}, postgres: map[int]uint64{}}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := bytes.Cut(b, []byte("\n"))
		f := strings.Fields(string(line))
		for i, v := range f[1:] {
			n, _ := strconv.ParseUint(v, 10, 64)
			if i < 8 { // user nice system idle iowait irq softirq steal
				s.total += n
			}
			if i == 3 || i == 4 {
				s.idle += n
			}
			if i == 5 || i == 6 {
				s.irq += n
			}
		}
	}
	for name, pid := range p.pids {
		_, t := procTicks(pid)
		s.named[name] = t
	}
	_, s.self = procTicks(os.Getpid())
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if comm, t := procTicks(pid); comm == "postgres" && !p.servesOther(pid) {
			s.postgres[pid] = t
		}
	}
	return s
}

// servesOther reports whether a PostgreSQL process is a backend or
// autovacuum worker of another database than the run's. Its title reads
// "postgres: 15/main: USER DB HOST(PORT) STATE" or
// "postgres: 15/main: autovacuum worker DB"; the shared background
// processes (checkpointer, WAL writer, …) count as the run's.
func (p *cpuProbe) servesOther(pid int) bool {
	if p.foreign == nil {
		p.foreign = map[int]bool{}
	}
	if v, ok := p.foreign[pid]; ok {
		return v
	}
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil {
		return false
	}
	title := string(b)
	client := strings.Contains(title, "(") || strings.Contains(title, "[local]") || strings.Contains(title, "autovacuum worker")
	v := p.db != "" && client && !strings.Contains(title, p.db)
	if client { // a process still starting has no title yet: look again later
		p.foreign[pid] = v
	}
	return v
}

// procTicks returns a process's command name and user+system clock ticks.
func procTicks(pid int) (string, uint64) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return "", 0
	}
	open, closing := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || closing < open {
		return "", 0
	}
	f := strings.Fields(string(b[closing+1:]))
	if len(f) < 13 {
		return "", 0
	}
	utime, _ := strconv.ParseUint(f[11], 10, 64)
	stime, _ := strconv.ParseUint(f[12], 10, 64)
	return string(b[open+1 : closing]), utime + stime
}

func (p *cpuProbe) shares(a, b cpuSample) cpuShares {
	out := cpuShares{named: map[string]float64{}}
	total := float64(b.total - a.total)
	if total <= 0 {
		return out
	}
	out.busy = 1 - float64(b.idle-a.idle)/total
	for name := range p.pids {
		out.named[name] = float64(b.named[name]-a.named[name]) / total
	}
	var pg uint64
	for pid, t := range b.postgres {
		if t >= a.postgres[pid] {
			pg += t - a.postgres[pid]
		}
	}
	out.postgres = float64(pg) / total
	out.self = float64(b.self-a.self) / total
	out.irq = float64(b.irq-a.irq) / total
	out.other = out.busy - out.irq - out.postgres - out.self
	for _, v := range out.named {
		out.other -= v
	}
	out.other = max(0, out.other)
	return out
}

// procStatus reads a field of /proc/<pid>/status in kB (VmRSS, VmHWM).
func procStatus(pid int, field string) (int64, error) {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb, err
		}
	}
	return 0, fmt.Errorf("%s not in /proc/%d/status", field, pid)
}

// resetPeakRSS resets VmHWM to the current RSS (Linux 4.0+), so a later
// reading is the peak of what came after. It reports whether it could.
func resetPeakRSS(pid int) bool {
	return os.WriteFile(filepath.Join("/proc", strconv.Itoa(pid), "clear_refs"), []byte("5"), 0) == nil
}

// rssSampler records the highest VmRSS of pid seen every interval until
// stop is called, in kB.
func rssSampler(pid int, interval time.Duration) (stop func() int64) {
	done := make(chan struct{})
	peak := make(chan int64, 1)
	go func() {
		var max int64
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if kb, err := procStatus(pid, "VmRSS"); err == nil && kb > max {
				max = kb
			}
			select {
			case <-done:
				peak <- max
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 { close(done); return <-peak }
}

// timeWaitTo counts the TCP sockets in TIME_WAIT whose remote port is
// port: connections closed by this side in the last minute or so.
func timeWaitTo(port int) int {
	n := 0
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fields := strings.Fields(line)
			if len(fields) < 4 || fields[3] != "06" { // 06: TIME_WAIT
				continue
			}
			_, rport, _ := strings.Cut(fields[2], ":")
			if p, err := strconv.ParseInt(rport, 16, 32); err == nil && int(p) == port {
				n++
			}
		}
	}
	return n
}
