package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strings"

	"github.com/jackc/pgx/v5"
)

// machine is what the report says about where it ran.
type machine struct {
	cores      int
	cpu        string
	memGiB     float64
	kernel     string
	goVersion  string
	postgres   string
	pgSettings []string
}

func describeMachine(ctx context.Context, conn *pgx.Conn) machine {
	m := machine{cores: runtime.NumCPU(), cpu: "unknown", goVersion: runtime.Version()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.cpu = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if kb, err := procMeminfo("MemTotal"); err == nil {
		m.memGiB = float64(kb) / (1 << 20)
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = strings.TrimSpace(string(b))
	}
	_ = conn.QueryRow(ctx, `SELECT version()`).Scan(&m.postgres)
	rows, err := conn.Query(ctx, `SELECT name, setting, coalesce(unit, '') FROM pg_settings WHERE name IN
		('shared_buffers', 'max_connections', 'synchronous_commit', 'fsync', 'work_mem', 'max_wal_size', 'checkpoint_timeout')
		ORDER BY name`)
	if err == nil {
		for rows.Next() {
			var name, setting, unit string
			if rows.Scan(&name, &setting, &unit) == nil {
				m.pgSettings = append(m.pgSettings, fmt.Sprintf("%s=%s%s", name, setting, unitSuffix(unit)))
			}
		}
		rows.Close()
	}
	return m
}

func unitSuffix(u string) string {
	if u == "" {
		return ""
	}
	return " (" + u + ")"
}

func procMeminfo(field string) (int64, error) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			var kb int64
			_, err := fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			return kb, err
		}
	}
	return 0, fmt.Errorf("%s not in /proc/meminfo", field)
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// short is a file-name description of the machine: "2c-amd-epyc".
func (m machine) short() string {
	cpu := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(m.cpu), "-"), "-")
	for _, noise := range []string{"-processor", "-cpu", "(r)", "(tm)"} {
		cpu = strings.ReplaceAll(cpu, noise, "")
	}
	if len(cpu) > 32 {
		cpu = cpu[:32]
	}
	return fmt.Sprintf("%dc-%s", m.cores, strings.Trim(cpu, "-"))
}
