package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// startPrivatePostgres runs a PostgreSQL of its own for checkout dev from
// the machine's binaries: data kept between runs, a free loopback port, trust auth. PostgreSQL
// refuses to run as root, so under root it runs as the "postgres" user.
func startPrivatePostgres(ctx context.Context, log io.Writer) (string, func(), error) {
	bin, err := postgresBinDir()
	if err != nil {
		return "", nil, err
	}
	dir, cred, err := privateDataDir()
	if err != nil {
		return "", nil, err
	}
	run := func(name string, args ...string) error {
		cmd := exec.CommandContext(ctx, filepath.Join(bin, name), args...)
		cmd.Stdout, cmd.Stderr = log, log
		if cred != nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		}
		return cmd.Run()
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err != nil {
		if err := run("initdb", "-D", dir, "-U", "postgres", "--auth=trust", "-E", "UTF8"); err != nil {
			return "", nil, fmt.Errorf("initdb: %w", err)
		}
	}
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", port, dir)
	if err := run("pg_ctl", "-D", dir, "-o", opts, "-l", filepath.Join(dir, "server.log"), "-w", "start"); err != nil {
		return "", nil, fmt.Errorf("pg_ctl start: %w", err)
	}
	stop := func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(stopCtx, filepath.Join(bin, "pg_ctl"), "-D", dir, "-m", "fast", "stop")
		if cred != nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		}
		_ = cmd.Run()
	}
	url := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	if err := waitReady(ctx, url); err != nil {
		stop()
		return "", nil, err
	}
	fmt.Fprintf(log, "private PostgreSQL on 127.0.0.1:%d, data in %s\n", port, dir)
	return url, stop, nil
}

// postgresBinDir finds the newest installed PostgreSQL's binaries.
func postgresBinDir() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p), nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(matches) == 0 {
		return "", fmt.Errorf("no PostgreSQL found: install it (Debian: apt-get install postgresql) or set CHECKOUT_DATABASE_URL")
	}
	sort.Slice(matches, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(matches[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(matches[j]))))
		return vi < vj
	})
	return filepath.Dir(matches[len(matches)-1]), nil
}

// privateDataDir returns the data directory of the private server (kept
// between runs) and, under root, the credential of the postgres user that
// must own and run it; otherwise a nil credential.
func privateDataDir() (string, *syscall.Credential, error) {
	if os.Geteuid() != 0 {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		dir := filepath.Join(cache, "checkout-dev", "pgdata")
		return dir, nil, os.MkdirAll(dir, 0o700)
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return "", nil, fmt.Errorf("running as root needs a postgres user to run PostgreSQL as: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	// Root's home is closed to other users, so the data lives under /var/tmp.
	parent := filepath.Join("/var/tmp", "checkout-dev")
	dir := filepath.Join(parent, "pgdata")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", nil, err
	}
	for _, d := range []string{parent, dir} {
		if err := os.Chown(d, uid, gid); err != nil {
			return "", nil, err
		}
	}
	return dir, &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitReady(ctx context.Context, url string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := pgx.Connect(ctx, url)
		if err == nil {
			return conn.Close(ctx)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("private PostgreSQL did not answer: %w", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
