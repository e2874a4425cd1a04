// Package orderio moves orders in and out in bulk: the legacy CSV import
// (each row validated by the same pipeline as a checkout, its household and
// player made when new, its claims taken) and the streamed CSV export of a
// listing. It owns no table: orders are written through platform/orders.
package orderio

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/leaguepay/checkout/platform/apperr"
	"github.com/leaguepay/checkout/platform/catalog"
	"github.com/leaguepay/checkout/platform/checkout"
	"github.com/leaguepay/checkout/platform/db"
	"github.com/leaguepay/checkout/platform/orders"
)

// Service imports and exports orders.
type Service struct {
	db       *db.DB
	catalog  *catalog.Service
	checkout *checkout.Service
}

// NewService returns the import and export service; imported rows are
// checked by co's validation.
func NewService(d *db.DB, c *catalog.Service, co *checkout.Service) *Service {
	return &Service{db: d, catalog: c, checkout: co}
}

// ImportColumns are the legacy CSV's columns, found by header name in any
// order. legacy_id, customer_email, player_first_name, player_last_name and
// product_id are required; the rest default (status: paid, amount and
// currency: the product's, created_at: now, custom_data: {}).
var ImportColumns = []string{"legacy_id", "customer_email", "customer_name", "player_first_name",
	"player_last_name", "product_id", "status", "amount_cents", "currency", "created_at", "paid_at", "custom_data"}

var currencyRE = regexp.MustCompile(`^[a-z]{3}$`)

var requiredImportColumns = []string{"legacy_id", "customer_email", "player_first_name", "player_last_name", "product_id"}

// ImportSummary counts what an import did.
type ImportSummary struct {
	Imported int `json:"imported"`
	Skipped  int `json:"skipped"` // already imported (same legacy_id)
	Failed   int `json:"failed"`
}

// Import reads legacy orders from r. Each row is imported in its own
// transaction: a bad row is reported to report with its line number and the
// good rows are imported all the same. A row whose legacy_id was imported
// before is skipped, so re-running an import duplicates nothing.
func (s *Service) Import(ctx context.Context, tenantID uuid.UUID, r io.Reader, report io.Writer) (ImportSummary, error) {
	var sum ImportSummary
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return sum, fmt.Errorf("read header: %w", err)
	}
	cols := importColumnsOf(header)
	for _, req := range requiredImportColumns {
		if _, ok := cols[req]; !ok {
			return sum, fmt.Errorf("header: missing column %q (columns: %s)", req, strings.Join(ImportColumns, ","))
		}
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return sum, nil
		}
		if err != nil {
			// A malformed row is reported and skipped; FieldPos cannot be
			// used for it (it panics when the first field did not parse).
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return sum, fmt.Errorf("read csv: %w", err)
			}
			sum.Failed++
			fmt.Fprintf(report, "line %d: %v\n", pe.StartLine, err)
			continue
		}
		line, _ := cr.FieldPos(0)
		skipped, err := s.importRow(ctx, tenantID, line, rowGetter(cols, rec))
		switch {
		case err != nil:
			sum.Failed++
			fmt.Fprintf(report, "line %d: %s\n", line, describe(err))
		case skipped:
			sum.Skipped++
		default:
			sum.Imported++
		}
	}
}

// importColumnsOf maps each name of the header row to its column.
func importColumnsOf(header []string) map[string]int {
	cols := map[string]int{}
	for i, h := range header {
		cols[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	return cols
}

// rowGetter returns the trimmed value of a row's column by name, "" when
// the header or the row does not have it.
func rowGetter(cols map[string]int, rec []string) func(string) string {
	return func(name string) string {
		if i, ok := cols[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
}

// importRow imports one row; skipped is true when its legacy_id is known.
func (s *Service) importRow(ctx context.Context, tenantID uuid.UUID, line int, get func(string) string) (skipped bool, err error) {
	if err := checkImportText(get); err != nil {
		return false, err
	}
	legacyID := get("legacy_id")
	if legacyID == "" {
		return false, &apperr.Invalid{Fields: apperr.Field("legacy_id", "is required")}
	}
	err = s.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		exists, err := orders.ImportedExists(ctx, tx, tenantID, legacyID)
		if err != nil || exists {
			skipped = exists
			return err
		}
		o, claims, err := s.importOrder(ctx, tx, tenantID, get)
		if err != nil {
			return err
		}
		detail := fmt.Sprintf("imported from legacy CSV line %d (legacy_id %s)", line, legacyID)
		if err := orders.InsertImported(ctx, tx, tenantID, o, legacyID, detail); err != nil {
			return err
		}
		if o.Status.Live() {
			return orders.AcquireClaims(ctx, tx, tenantID, o.ID, claims)
		}
		return nil
	})
	return skipped, err
}
