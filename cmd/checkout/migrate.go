package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/leaguepay/checkout/platform/config"
	"github.com/leaguepay/checkout/platform/db"
)

func migrateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply the embedded migrations (as CHECKOUT_MIGRATE_DATABASE_URL, else CHECKOUT_DATABASE_URL)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := migrateConfig()
			if err != nil {
				return err
			}
			return db.Migrate(cmd.Context(), cfg.MigrateDatabaseURL, cmd.OutOrStdout())
		},
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "status",
		Short: "List the embedded migrations, applied or pending",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := migrateConfig()
			if err != nil {
				return err
			}
			return db.MigrationStatus(cmd.Context(), cfg.MigrateDatabaseURL, cmd.OutOrStdout())
		},
	})
	return cmd
}

// migrateConfig needs only the owner's URL: CHECKOUT_MIGRATE_DATABASE_URL,
// else CHECKOUT_DATABASE_URL (a migration job may have no application URL).
func migrateConfig() (config.Config, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return cfg, err
	}
	if cfg.MigrateDatabaseURL == "" {
		return cfg, errors.New("neither CHECKOUT_MIGRATE_DATABASE_URL nor CHECKOUT_DATABASE_URL is set")
	}
	return cfg, nil
}
