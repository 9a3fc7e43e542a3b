//go:generate go run ../internal/fielddocs/gen -library ../../.. -out fielddocs_gen.go

// Package provider is a Terraform provider on talospatch's public API: the machine
// configuration and client configuration data sources and the cluster resource.
package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	pschema "github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/talospatch/talospatch/cluster"
)

// talospatchProvider is the provider. One instance lives as long as the provider process
// (one terraform command's walk), and its Builder and charts are shared by every data source
// and resource: a chart is loaded once and Cilium rendered once per cluster, however many
// nodes and calls.
type talospatchProvider struct {
	version string
	builder *cluster.Builder
	charts  charts
}

// New returns the provider factory for providerserver.Serve.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &talospatchProvider{version: version, builder: cluster.NewBuilder()}
	}
}

// Metadata implements provider.Provider.
func (p *talospatchProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "talospatch"
	resp.Version = p.version
}

// Schema implements provider.Provider: the provider has no settings.
func (p *talospatchProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = pschema.Schema{
		Description: "Talos Linux machine configurations built offline by talospatch: pure and deterministic, " +
			"with Cilium rendered once per cluster.",
	}
}

// Configure implements provider.Provider.
func (p *talospatchProvider) Configure(_ context.Context, _ provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	resp.DataSourceData = p
	resp.ResourceData = p
}

// DataSources implements provider.Provider.
func (p *talospatchProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		func() datasource.DataSource { return &machineConfiguration{p: p} },
		func() datasource.DataSource { return &clientConfiguration{p: p} },
	}
}

// Resources implements provider.Provider.
func (p *talospatchProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		func() resource.Resource { return &clusterResource{p: p} },
	}
}
