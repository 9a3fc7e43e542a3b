package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	dschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/talospatch/talospatch/cluster"
	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/talos"
)

// machineConfiguration is the talospatch_machine_configuration data source: one node's config.
type machineConfiguration struct{ p *talospatchProvider }

func (d *machineConfiguration) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_machine_configuration"
}

// machineConfigurationFields are the data source's attributes.
func machineConfigurationFields() []field {
	fs := append(descriptionFields(),
		secretsField(),
		field{name: attrRole, kind: kString, required: true, own: true, doc: `The node's role: "controlplane" or "worker".`},
	)
	fs = append(fs, settingsFields()...)
	fs = append(fs, patchFields(false)...)
	fs = append(fs, ciliumField(), validationModeField(),
		field{name: "machine_configuration", kind: kString, computed: true, sensitive: true, own: true,
			doc: "The node's machine configuration (YAML), validated for validation_mode. It holds the cluster's keys."},
		field{name: "warnings", kind: kStringList, computed: true, own: true,
			doc: "What is valid but probably not meant, each with where it is."},
	)

	return fs
}

func (d *machineConfiguration) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = dschema.Schema{
		Description: "One Talos node's machine configuration from a cluster description, pure and deterministic: " +
			"the same inputs give the same bytes on every plan.",
		Attributes: dataSourceAttributes(machineConfigurationFields()),
	}
}

func (d *machineConfiguration) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	in, diags := values(ctx, req.Config.GetAttribute, machineConfigurationFields())
	if resp.Diagnostics.Append(diags...); resp.Diagnostics.HasError() {
		return
	}

	r := &reader{}
	patches := r.patches(path.Root(attrConfigPatches), in[attrConfigPatches])
	spec := cluster.Spec{
		Cluster: r.description(in),
		Secrets: r.secrets(in[attrSecrets]),
		Layers:  config.Layers{AllNodes: patches},
		Nodes:   []cluster.Node{{Name: "node", Role: r.role(path.Root(attrRole), in[attrRole]), Settings: r.settings(in)}},
		Mode:    r.mode(in[attrValidationMode]),
	}
	spec.Cilium = d.p.cilium(ctx, r, in[attrCilium])

	resp.Diagnostics.Append(r.diags...)

	if resp.Diagnostics.HasError() {
		return
	}

	res, err := d.p.builder.Build(ctx, spec)
	if err != nil {
		l := layout{
			node:   func(int) path.Path { return path.Empty() },
			layers: map[string]layer{"allNodes": {attr: attrConfigPatches, count: len(patches)}},
		}
		l.addProblems(&resp.Diagnostics, "Invalid machine configuration input", err)

		return
	}

	resp.State.Raw = req.Config.Raw
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("machine_configuration"), string(res.Nodes[0].Config))...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("warnings"), stringList(warningTexts(res.Warnings)))...)
}

// warningTexts writes warnings as text, each with where it is.
func warningTexts(ws []talos.Warning) []string {
	out := make([]string, 0, len(ws))
	for _, w := range ws {
		out = append(out, w.String())
	}

	return out
}

// clientConfiguration is the talospatch_client_configuration data source: the talosconfig.
type clientConfiguration struct{ p *talospatchProvider }

func (d *clientConfiguration) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_client_configuration"
}

func (d *clientConfiguration) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = dschema.Schema{
		Description: "The talosctl client configuration (talosconfig) of a cluster: its endpoints, the Talos API CA and a " +
			"deterministic admin certificate.",
		Attributes: dataSourceAttributes(clientConfigurationFields()),
	}
}

func clientConfigurationFields() []field {
	return append(descriptionFields(),
		secretsField(),
		field{name: "issued_at", kind: kString, own: true,
			doc: "When the admin certificate's validity starts (RFC 3339); it is valid for a year from then. " +
				"Unset: the creation time of the secrets bundle. The same inputs give the same talosconfig."},
		field{name: "talosconfig", kind: kString, computed: true, sensitive: true, own: true,
			doc: "The talosconfig (YAML), as talosctl writes it."},
	)
}

func (d *clientConfiguration) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	in, diags := values(ctx, req.Config.GetAttribute, clientConfigurationFields())
	if resp.Diagnostics.Append(diags...); resp.Diagnostics.HasError() {
		return
	}

	r := &reader{}
	c := r.description(in)
	s := r.secrets(in[attrSecrets])
	issued := r.str(in["issued_at"])

	resp.Diagnostics.Append(r.diags...)

	if resp.Diagnostics.HasError() {
		return
	}

	at := s.CreatedAt()

	if issued != "" {
		t, err := time.Parse(time.RFC3339, issued)
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("issued_at"), "Invalid time",
				err.Error()+`; write RFC 3339, for example "2026-01-02T15:04:05Z"`)

			return
		}

		at = t
	}

	tc, err := config.Talosconfig(c, s, at)

	var out []byte
	if err == nil {
		out, err = config.EncodeTalosconfig(tc)
	}

	if err != nil {
		layout{prefix: "/cluster"}.addProblems(&resp.Diagnostics, "Invalid client configuration input", err)

		return
	}

	resp.State.Raw = req.Config.Raw
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("talosconfig"), string(out))...)
}
