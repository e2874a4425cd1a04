package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/leaguepay/checkout/platform/config"
	"github.com/leaguepay/checkout/tenants"
)

func tenantsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "tenants", Short: "Manage tenants (leagues)"}
	var slug, name, currency string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a tenant and print it as JSON",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := openFromEnv(cmd)
			if err != nil {
				return err
			}
			defer s.db.Close()
			t, err := s.tenants.Create(cmd.Context(), tenants.NewTenant{Slug: slug, Name: name, Currency: &currency})
			if err != nil {
				return describeErr(err)
			}
			return printJSON(cmd, t)
		},
	}
	create.Flags().StringVar(&slug, "slug", "", "tenant slug (required)")
	create.Flags().StringVar(&name, "name", "", "league name (required)")
	create.Flags().StringVar(&currency, "currency", "usd", "ISO 4217 currency, lowercase")
	_ = create.MarkFlagRequired("slug")
	_ = create.MarkFlagRequired("name")
	cmd.AddCommand(create)
	return cmd
}

func keysCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Manage tenant API keys"}
	var tenant, role, name string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an API key and print it once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := openFromEnv(cmd)
			if err != nil {
				return err
			}
			defer s.db.Close()
			t, err := s.tenants.BySlug(cmd.Context(), tenant)
			if err != nil {
				return fmt.Errorf("tenant %q: %w", tenant, describeErr(err))
			}
			k, err := s.tenants.Keys().Create(cmd.Context(), t.ID, tenants.KeyInput{Role: tenants.Role(role), Name: name})
			if err != nil {
				return describeErr(err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), k.Key)
			return nil
		},
	}
	create.Flags().StringVar(&tenant, "tenant", "", "tenant slug (required)")
	create.Flags().StringVar(&role, "role", "", "viewer, manager or admin (required)")
	create.Flags().StringVar(&name, "name", "cli", "a name to recognise the key by")
	_ = create.MarkFlagRequired("tenant")
	_ = create.MarkFlagRequired("role")
	cmd.AddCommand(create)
	return cmd
}

func openFromEnv(cmd *cobra.Command) (*services, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, err
	}
	return open(cmd.Context(), cfg)
}

func printJSON(cmd *cobra.Command, v any) error {
	enc := json.NewEncoder(cmd.OutOrStdout())
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
