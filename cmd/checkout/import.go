package main

import (
	"fmt"
	"os"

	"github.com/leaguepay/checkout/app"

	"github.com/spf13/cobra"

	"github.com/leaguepay/checkout/tenants"
)

func importCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "import", Short: "Import data"}
	var tenant string
	orders := &cobra.Command{
		Use:   "orders --tenant S FILE.csv",
		Short: "Import legacy orders; each bad row is reported with its line number, good rows are imported",
		Long: "Import legacy orders from a CSV file with a header row. Columns (by name, any order): " +
			"legacy_id, customer_email, player_first_name, player_last_name, product_id (required); " +
			"customer_name, status, amount_cents, currency, created_at, paid_at, custom_data (JSON) (optional). " +
			"Rows whose legacy_id was imported before are skipped. Exits 1 when any row failed.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withTenant(cmd, tenant, func(s *app.App, t tenants.Tenant) error {
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				sum, err := s.OrderIO.Import(cmd.Context(), t.ID, f, cmd.ErrOrStderr())
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "imported %d, skipped %d (already imported), failed %d\n", sum.Imported, sum.Skipped, sum.Failed)
				if sum.Failed > 0 {
					noun := "rows"
					if sum.Failed == 1 {
						noun = "row"
					}
					return fmt.Errorf("%d %s failed; fix them and run the import again (imported rows are skipped)", sum.Failed, noun)
				}
				return nil
			})
		},
	}
	orders.Flags().StringVar(&tenant, "tenant", "", "tenant slug (required)")
	_ = orders.MarkFlagRequired("tenant")
	cmd.AddCommand(orders)
	return cmd
}
