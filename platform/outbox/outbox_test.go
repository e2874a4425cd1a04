package outbox_test

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/leaguepay/checkout/internal/testkit/dbtest"
	"github.com/leaguepay/checkout/platform/ids"
	"github.com/leaguepay/checkout/platform/outbox"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }

// recorder follows and observes: follows in the order the dispatchers
// claim (under the tenant's lock), observed after each commit.
type recorder struct {
	mu       sync.Mutex
	followed []outbox.Event
	observed map[uuid.UUID]int
	fail     map[uuid.UUID]int // tenant -> follows to fail before succeeding
}

func (r *recorder) Probe() string                       { return "" }
func (r *recorder) Wants(_ []outbox.Event, _ bool) bool { return true }
func (r *recorder) Follow(_ context.Context, _ pgx.Tx, evs []outbox.Event) ([]river.InsertManyParams, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t := evs[0].TenantID; r.fail[t] > 0 {
		r.fail[t]--
		return nil, errFollow
	}
	r.followed = append(r.followed, evs...)
	return nil, nil
}

func (r *recorder) Observe(evs []outbox.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range evs {
		r.observed[ev.ID]++
	}
}

func (r *recorder) seen() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.observed)
}

type followErr struct{}

func (followErr) Error() string { return "the follower failed" }

var errFollow = followErr{}

// TestDispatchersShareTheOutbox: three replicas' dispatchers drain the
// events of several tenants, written while they run, in small batches.
// Every event is handed on exactly once, each object's events in the order
// they were written, and a tenant whose follower fails is retried without
// holding up the others.
func TestDispatchersShareTheOutbox(t *testing.T) {
	d := dbtest.DB(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tenants := []uuid.UUID{ids.New(), ids.New(), ids.New()}
	const perTenant, objects = 1500, 40
	rec := &recorder{observed: map[uuid.UUID]int{}, fail: map[uuid.UUID]int{tenants[2]: 3}}

	var wg sync.WaitGroup
	var nudgers []*outbox.Nudger
	for range 3 {
		n := outbox.NewNudger()
		nudgers = append(nudgers, n)
		disp := outbox.NewDispatcher(d, nil, n, slog.New(slog.DiscardHandler), []outbox.Follower{rec}, []outbox.Observer{rec},
			func() { t.Error("a dispatcher panicked") }, outbox.Options{Poll: 20 * time.Millisecond, Batch: 37})
		wg.Add(1)
		go func() { defer wg.Done(); disp.Run(ctx) }()
	}
	// Write each tenant's events in commits of 50, each object's in order.
	objectIDs := map[uuid.UUID][]uuid.UUID{}
	for _, tn := range tenants {
		for range objects {
			objectIDs[tn] = append(objectIDs[tn], ids.New())
		}
	}
	var writers sync.WaitGroup
	for _, tn := range tenants {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := 0; i < perTenant; i += 50 {
				err := d.InTenant(ctx, tn, func(tx pgx.Tx) error {
					b := &pgx.Batch{}
					for j := i; j < i+50; j++ {
						b.Queue(`INSERT INTO events (tenant_id, id, type, object_id, data) VALUES ($1, $2, 'test.event', $3, '{}')`,
							tn, ids.New(), objectIDs[tn][j%objects])
					}
					return tx.SendBatch(ctx, b).Close()
				})
				if err != nil {
					t.Error(err)
					return
				}
				nudgers[i%3].Nudge()
			}
		}()
	}
	writers.Wait()
	for deadline := time.Now().Add(60 * time.Second); rec.seen() < len(tenants)*perTenant; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d events dispatched after 60 s", rec.seen(), len(tenants)*perTenant)
		}
	}
	time.Sleep(100 * time.Millisecond) // a late double would show now
	cancel()
	wg.Wait()

	rec.mu.Lock()
	defer rec.mu.Unlock()
	for id, n := range rec.observed {
		if n != 1 {
			t.Errorf("event %s observed %d times", id, n)
		}
	}
	if len(rec.followed) != len(tenants)*perTenant {
		t.Errorf("%d events followed, want %d", len(rec.followed), len(tenants)*perTenant)
	}
	last := map[uuid.UUID]int64{}
	for _, ev := range rec.followed {
		if ev.Seq <= last[ev.ObjectID] {
			t.Fatalf("object %s: event %d followed after %d", ev.ObjectID, ev.Seq, last[ev.ObjectID])
		}
		last[ev.ObjectID] = ev.Seq
	}
	if rec.fail[tenants[2]] != 0 {
		t.Errorf("the failing tenant's follower was not retried")
	}
	var pending int
	if err := d.Pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox_pending_tenants()`).Scan(&pending); err != nil || pending != 0 {
		t.Errorf("%d tenants still pending (%v)", pending, err)
	}
}

// TestDispatchOnce: Dispatch drains what is pending and reports it; a
// second call finds nothing.
func TestDispatchOnce(t *testing.T) {
	d := dbtest.DB(t)
	ctx := context.Background()
	tn := ids.New()
	err := d.InTenant(ctx, tn, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO events (tenant_id, id, type, object_id, data)
			SELECT $1, gen_random_uuid(), 'test.event', gen_random_uuid(), '{}' FROM generate_series(1, 120)`, tn)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{observed: map[uuid.UUID]int{}}
	disp := outbox.NewDispatcher(d, nil, outbox.NewNudger(), slog.New(slog.DiscardHandler), []outbox.Follower{rec}, []outbox.Observer{rec},
		func() {}, outbox.Options{Batch: 50})
	if n, err := disp.Dispatch(ctx); err != nil || n != 120 {
		t.Fatalf("Dispatch = %d, %v; want 120", n, err)
	}
	if n, err := disp.Dispatch(ctx); err != nil || n != 0 {
		t.Fatalf("second Dispatch = %d, %v; want 0", n, err)
	}
}
