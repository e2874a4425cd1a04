package main

import (
	"encoding/json"
	"fmt"

	"github.com/leaguepay/checkout/app"

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
			return withServices(cmd, func(s *app.App, _ config.Config) error {
				t, err := s.Tenants.Create(cmd.Context(), tenants.NewTenant{Slug: slug, Name: name, Currency: &currency})
				if err != nil {
					return err
				}
				return printJSON(cmd, t)
			})
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
			return withTenant(cmd, tenant, func(s *app.App, t tenants.Tenant) error {
				k, err := s.Tenants.Keys().Create(cmd.Context(), t.ID, tenants.KeyInput{Role: tenants.Role(role), Name: name})
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), k.Key)
				return nil
			})
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

// withServices runs fn with the configuration and the services wired from
// the environment, and closes the pool after.
func withServices(cmd *cobra.Command, fn func(s *app.App, cfg config.Config) error) error {
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	s, err := open(cmd.Context(), cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	return fn(s, cfg)
}

// withTenant is withServices for a command about the tenant named slug.
func withTenant(cmd *cobra.Command, slug string, fn func(s *app.App, t tenants.Tenant) error) error {
	return withServices(cmd, func(s *app.App, _ config.Config) error {
		t, err := s.Tenants.BySlug(cmd.Context(), slug)
		if err != nil {
			return fmt.Errorf("tenant %q: %w", slug, err)
		}
		return fn(s, t)
	})
}

func printJSON(cmd *cobra.Command, v any) error {
	enc := json.NewEncoder(cmd.OutOrStdout())
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
