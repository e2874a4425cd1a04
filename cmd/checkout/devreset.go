package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// resetDemo deletes the demo league and every row it owns, through the
// privileged connection at adminURL, so the seed that follows starts it
// afresh. Other leagues of the database are left alone. It runs before the
// services open, so no cache of theirs remembers the deleted league.
func resetDemo(ctx context.Context, adminURL string, log io.Writer) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("connect as the owner: %w", err)
	}
	defer conn.Close(ctx)
	var id uuid.UUID
	err = conn.QueryRow(ctx, `SELECT id FROM tenants WHERE slug = $1`, demoSlug).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		fmt.Fprintln(log, "reset: there is no demo league yet")
		return nil
	}
	if err != nil {
		return fmt.Errorf("find the demo league: %w", err)
	}
	n, err := deleteTenant(ctx, conn, id)
	if err != nil {
		return fmt.Errorf("reset the demo league: %w", err)
	}
	if err := forgetDevCredentials(id); err != nil {
		fmt.Fprintf(log, "WARNING: cannot update the dev credentials file: %v\n", err)
	}
	fmt.Fprintf(log, "reset: deleted the demo league %q with its %d rows\n", demoSlug, n-1)
	return nil
}

// tenantTables lists the tables of the current schema that have a tenant_id
// column (partitions aside), and the foreign keys between them; read from
// the catalog, so a table added by a later migration is covered too.
const tenantTables = `
SELECT c.oid::regclass::text,
       coalesce(array_agg(DISTINCT f.confrelid::regclass::text)
                FILTER (WHERE f.confrelid IS NOT NULL AND f.confrelid <> c.oid), '{}')
FROM pg_class c
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
LEFT JOIN pg_constraint f ON f.conrelid = c.oid AND f.contype = 'f'
WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
GROUP BY c.oid`

// deleteTenant deletes tenantID's rows from every tenant table, referencing
// tables before the tables they reference, then the tenant itself, in one
// transaction scoped to the tenant (row-level security binds the owner
// too). It returns the number of rows deleted, the tenant's included.
func deleteTenant(ctx context.Context, conn *pgx.Conn, tenantID uuid.UUID) (int64, error) {
	refs := map[string][]string{} // table -> the tables it references
	rows, err := conn.Query(ctx, tenantTables)
	if err != nil {
		return 0, fmt.Errorf("list tenant tables: %w", err)
	}
	for rows.Next() {
		var table string
		var to []string
		if err := rows.Scan(&table, &to); err != nil {
			return 0, err
		}
		refs[table] = to
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("list tenant tables: %w", err)
	}
	order, err := referencingFirst(refs)
	if err != nil {
		return 0, err
	}
	var n int64
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('app.tenant_id', $1, true)`, tenantID.String()); err != nil {
			return err
		}
		for _, table := range append(order, "tenants") {
			col := "tenant_id"
			if table == "tenants" {
				col = "id"
			}
			tag, err := tx.Exec(ctx, fmt.Sprintf(`DELETE FROM %s WHERE %s = $1`, table, col), tenantID)
			if err != nil {
				return fmt.Errorf("delete from %s: %w", table, err)
			}
			n += tag.RowsAffected()
		}
		return nil
	})
	return n, err
}

// referencingFirst orders tables so that each comes before every table it
// references (a table referenced by nothing left comes next).
func referencingFirst(refs map[string][]string) ([]string, error) {
	referencedBy := map[string]int{}
	for _, to := range refs {
		for _, t := range to {
			referencedBy[t]++
		}
	}
	var order []string
	done := map[string]bool{}
	for len(order) < len(refs) {
		progress := false
		for table, to := range refs {
			if done[table] || referencedBy[table] > 0 {
				continue
			}
			done[table], progress = true, true
			order = append(order, table)
			for _, t := range to {
				referencedBy[t]--
			}
		}
		if !progress {
			return nil, errors.New("the tenant tables reference each other in a cycle; delete the demo league by hand")
		}
	}
	return order, nil
}
