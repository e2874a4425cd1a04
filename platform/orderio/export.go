package orderio

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	sq "github.com/Masterminds/squirrel"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/leaguepay/checkout/platform/orders"
)

// exportBatch is how many rows one export query reads. Each batch is read
// into memory in its own short transaction, which is over before any of it
// is written out: an export of any size holds bounded memory, no long
// transaction, and no pooled connection while the client reads.
const exportBatch = 1000

var exportHeader = []string{"id", "created_at", "status", "product_id", "product_name", "product_type",
	"category", "customer_id", "customer_email", "customer_name", "player_id", "player_name", "amount_cents",
	"amount_refunded_cents", "currency", "paid_at", "legacy_id"}

// byteOrderMark opens the file so that spreadsheet programs (Excel above
// all) read it as UTF-8: without it "CHÉN" opens as "CHÃ‰N".
const byteOrderMark = "\ufeff"

// exportItem is one order of an export batch with the names joined to it.
type exportItem struct {
	order                                        orders.Order
	productName, email, customerName, playerName string
	legacyID                                     *string
}

// Export writes the orders matching f as CSV, newest first: the fixed
// columns, then one "custom_data.KEY" column per custom_data key seen among
// them, sorted. Limit and Cursor of f are ignored. w is written to only
// between batches, never inside a transaction, so a slow writer (a client
// reading slowly) holds no database connection.
func (s *Service) Export(ctx context.Context, tenantID uuid.UUID, f orders.Filter, w io.Writer) error {
	keys, err := s.customKeys(ctx, tenantID, f)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, byteOrderMark); err != nil {
		return fmt.Errorf("write export: %w", err)
	}
	cw := csv.NewWriter(w)
	header := append([]string{}, exportHeader...)
	for _, k := range keys {
		header = append(header, "custom_data."+k)
	}
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("write export: %w", err)
	}
	var pos *orders.Position
	for {
		batch, err := s.exportBatch(ctx, tenantID, f, pos)
		if err != nil {
			return err
		}
		for _, it := range batch {
			if err := cw.Write(exportRow(it, keys)); err != nil {
				return fmt.Errorf("write export: %w", err)
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return fmt.Errorf("write export: %w", err)
		}
		if len(batch) < exportBatch {
			return nil
		}
		last := batch[len(batch)-1].order
		pos = &orders.Position{CreatedAt: last.CreatedAt, ID: last.ID}
	}
}

func (s *Service) customKeys(ctx context.Context, tenantID uuid.UUID, f orders.Filter) ([]string, error) {
	q := f.Where(sq.Select("DISTINCT jsonb_object_keys(o.custom_data)").From("orders o"), tenantID).
		Where("jsonb_typeof(o.custom_data) = 'object'").PlaceholderFormat(sq.Dollar)
	sqlText, args, err := q.ToSql()
	if err != nil {
		return nil, fmt.Errorf("build export keys query: %w", err)
	}
	var keys []string
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, sqlText, args...)
		if err != nil {
			return err
		}
		keys, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read export keys: %w", err)
	}
	sort.Strings(keys)
	return keys, nil
}

// exportBatch reads the next exportBatch orders after pos (from the start
// when pos is nil) in one tenant transaction and returns them once it is
// committed.
func (s *Service) exportBatch(ctx context.Context, tenantID uuid.UUID, f orders.Filter, pos *orders.Position) ([]exportItem, error) {
	q := f.Where(sq.Select(orders.Cols, "p.name", "c.email", "c.name", "pl.first_name || ' ' || pl.last_name", "o.legacy_ref").
		From("orders o").
		Join("products p ON p.tenant_id = o.tenant_id AND p.id = o.product_id").
		Join("customers c ON c.tenant_id = o.tenant_id AND c.id = o.customer_id").
		Join("players pl ON pl.tenant_id = o.tenant_id AND pl.id = o.player_id"), tenantID).
		OrderBy("o.created_at DESC", "o.id DESC").Limit(exportBatch).PlaceholderFormat(sq.Dollar)
	if pos != nil {
		q = orders.After(q, *pos)
	}
	sqlText, args, err := q.ToSql()
	if err != nil {
		return nil, fmt.Errorf("build export query: %w", err)
	}
	batch := make([]exportItem, 0, exportBatch)
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, sqlText, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var it exportItem
			if it.order, err = orders.Scan(rows, &it.productName, &it.email, &it.customerName, &it.playerName, &it.legacyID); err != nil {
				return err
			}
			batch = append(batch, it)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("export orders: %w", err)
	}
	return batch, nil
}

func exportRow(it exportItem, keys []string) []string {
	o := it.order
	paidAt := ""
	if o.PaidAt != nil {
		paidAt = o.PaidAt.Format(time.RFC3339)
	}
	legacyID := ""
	if it.legacyID != nil {
		legacyID = csvSafe(*it.legacyID)
	}
	row := []string{o.ID.String(), o.CreatedAt.Format(time.RFC3339), string(o.Status), o.ProductID.String(),
		csvSafe(it.productName), o.ProductType, o.Category, o.CustomerID.String(), csvSafe(it.email), csvSafe(it.customerName),
		o.PlayerID.String(), csvSafe(it.playerName), strconv.FormatInt(o.AmountCents, 10),
		strconv.FormatInt(o.AmountRefundedCents, 10), o.Currency, paidAt, legacyID}
	var data map[string]json.RawMessage
	_ = json.Unmarshal(o.CustomData, &data)
	for _, k := range keys {
		row = append(row, cellValue(data[k]))
	}
	return row
}

// cellValue renders a custom_data value: strings bare (and defused),
// everything else as JSON.
func cellValue(v json.RawMessage) string {
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return csvSafe(s)
	}
	return string(v)
}

// csvSafe defuses spreadsheet formula injection: a buyer-supplied cell that
// starts with = + - @ (or a tab/CR) gets a leading apostrophe.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}
