package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/internal/testkit/dbtest"
	"github.com/leaguepay/checkout/platform/db"
)

// pgCluster is a PostgreSQL server of one test's own, run from the
// machine's binaries (found as checkout dev finds them) so the test may stop
// and start it: data in the test's temporary directory, a free loopback
// port, its Unix socket and log beside the data, trust auth, fsync off (the
// machine never crashes under it; a stopped server loses nothing).
//
// PostgreSQL refuses to run as root, so under root initdb and pg_ctl run as
// the postgres OS user (a credential on the child process, as runuser -u
// postgres would) and the temporary directory is opened to it.
type pgCluster struct {
	bin  string // the PostgreSQL binaries
	data string // PGDATA
	run  string // socket directory and server log
	port int
	cred *syscall.Credential // nil unless the test runs as root
}

// startCluster initializes and starts a private cluster, stopped (fast,
// then immediate) when the test ends.
func startCluster(t *testing.T) *pgCluster {
	t.Helper()
	bin, err := postgresBinDir()
	if err != nil {
		t.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	c := &pgCluster{bin: bin, data: filepath.Join(root, "data"), run: filepath.Join(root, "run"), port: port}
	if sock := filepath.Join(c.run, ".s.PGSQL."+strconv.Itoa(port)); len(sock) > 107 {
		t.Fatalf("socket path %s is longer than a Unix socket address may be: shorten the test's name", sock)
	}
	for _, d := range []string{c.data, c.run} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if os.Geteuid() == 0 {
		c.cred = postgresCredential(t, root, c.data, c.run)
	}
	if out, err := c.command("initdb", "-D", c.data, "-U", "postgres", "--auth=trust", "-E", "UTF8").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if err := c.command("pg_ctl", "-D", c.data, "-m", "fast", "-w", "-t", "20", "stop").Run(); err != nil {
			_ = c.command("pg_ctl", "-D", c.data, "-m", "immediate", "-w", "stop").Run()
		}
	})
	c.start(t)
	return c
}

// postgresCredential gives the data and run directories to the postgres OS
// user and lets it through the test's temporary directory (created 0700 for
// root), returning the credential to run PostgreSQL's programs with.
func postgresCredential(t *testing.T, root string, owned ...string) *syscall.Credential {
	t.Helper()
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("the tests run as root, so PostgreSQL must run as the postgres user: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	for d := root; d != filepath.Dir(d); d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(d, st.Mode().Perm()|0o011); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, d := range owned {
		if err := os.Chown(d, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

// command is one of PostgreSQL's programs, run as the cluster's owner.
func (c *pgCluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd
}

// start starts the server on its port and waits until it accepts
// connections.
func (c *pgCluster) start(t *testing.T) {
	t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50", c.port, c.run)
	out, err := c.command("pg_ctl", "-D", c.data, "-o", opts, "-l", filepath.Join(c.run, "server.log"), "-w", "-t", "60", "start").CombinedOutput()
	if err != nil {
		t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, c.serverLog())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := waitReady(ctx, c.url("postgres")); err != nil {
		t.Fatal(err)
	}
}

// stop stops the server: mode "fast" ends the sessions and shuts down
// cleanly, "immediate" kills it as a crash would (recovery on the next
// start).
func (c *pgCluster) stop(t *testing.T, mode string) {
	t.Helper()
	if out, err := c.command("pg_ctl", "-D", c.data, "-m", mode, "-w", "-t", "30", "stop").CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl stop -m %s: %v\n%s", mode, err, out)
	}
}

// url is the superuser's URL of database name.
func (c *pgCluster) url(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, name)
}

func (c *pgCluster) serverLog() string {
	b, _ := os.ReadFile(filepath.Join(c.run, "server.log"))
	return string(b)
}

// checkoutDatabase creates and migrates database "checkout" on the cluster
// and returns its owner's URL and the application role's.
func (c *pgCluster) checkoutDatabase(t *testing.T) (adminURL, appURL string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.url("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE checkout"); err != nil {
		t.Fatal(err)
	}
	adminURL = c.url("checkout")
	if err := db.Migrate(ctx, adminURL, io.Discard); err != nil {
		t.Fatal(err)
	}
	if appURL, err = db.EnsureLoginRole(ctx, adminURL, dbtest.AppLoginRole); err != nil {
		t.Fatal(err)
	}
	return adminURL, appURL
}
