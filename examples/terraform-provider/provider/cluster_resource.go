package provider

import (
	"context"
	"maps"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/talospatch/talospatch/cluster"
	"github.com/talospatch/talospatch/config"
)

// Computed attributes of the cluster resource.
const (
	attrID                    = "id"
	attrMachineConfigurations = "machine_configurations"
	attrWarnings              = "warnings"
)

// clusterResource is the talospatch_cluster resource: one description and a map of nodes in,
// every node's config out. It is a resource, not a data source, so that its configs are in state:
// a plan compares the new configs with them and keeps a stored config that says the same thing
// in another encoding (config.Equivalent), so a provider or machinery upgrade that only changes
// the encoder shows no diff. Nothing is remote: Read keeps the state, Delete forgets it.
type clusterResource struct{ p *talospatchProvider }

var _ resource.ResourceWithModifyPlan = (*clusterResource)(nil)

func (c *clusterResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_cluster"
}

// clusterFields are the resource's attributes.
func clusterFields() []field {
	node := append([]field{
		{name: attrRole, kind: kString, required: true, own: true, doc: `The node's role: "controlplane" or "worker".`},
	}, settingsFields()...)
	node = append(node, field{name: attrConfigPatches, kind: kStringList, doc: "cluster.Node.Patches"})

	fs := append(descriptionFields(), secretsField())
	fs = append(fs, patchFields(true)...)
	fs = append(fs, ciliumField(),
		field{name: attrNodes, kind: kObjectMap, required: true, own: true, attrs: node,
			doc: "The nodes by name (the key is not the hostname: set hostname for that). Every node's config is " +
				"its role config with config_patches, its role's patches, its settings and its own patches applied."},
		validationModeField(),
		field{name: attrID, kind: kString, computed: true, own: true, doc: "The cluster name."},
		field{name: attrMachineConfigurations, kind: kStringMap, computed: true, sensitive: true, own: true,
			doc: "Every node's machine configuration (YAML) by node name, validated for validation_mode. They hold " +
				"the cluster's keys."},
		field{name: attrWarnings, kind: kStringList, computed: true, own: true,
			doc: "What is valid but probably not meant, each with where it is."},
	)

	return fs
}

func (c *clusterResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = rschema.Schema{
		Description: "Every node's Talos machine configuration of one cluster, built from one description: the role " +
			"configs and Cilium once per cluster, then each node's settings and patches. Pure and deterministic, " +
			"planned in full when the inputs are known.",
		Attributes: resourceAttributes(clusterFields()),
	}
}

// build reads the inputs and builds every node. known is false when an input is unknown (then
// there is nothing to build yet).
func (c *clusterResource) build(ctx context.Context, get getter) (res *cluster.Result, names []string, known bool, diags diag.Diagnostics) {
	in, diags := values(ctx, get, clusterFields())
	if diags.HasError() {
		return nil, nil, false, diags
	}

	r := &reader{}
	spec := cluster.Spec{
		Cluster: r.description(in),
		Secrets: r.secrets(in[attrSecrets]),
		Layers: config.Layers{
			AllNodes:     r.patches(path.Root(attrConfigPatches), in[attrConfigPatches]),
			ControlPlane: r.patches(path.Root(attrControlPlanePatches), in[attrControlPlanePatches]),
			Worker:       r.patches(path.Root(attrWorkerPatches), in[attrWorkerPatches]),
		},
		Mode: r.mode(in[attrValidationMode]),
	}
	spec.Cilium = c.p.cilium(ctx, r, in[attrCilium])

	nodes, _ := in[attrNodes].(types.Map)
	if nodes.IsUnknown() {
		r.unknown = true
	}

	elems := nodes.Elements()
	names = slices.Sorted(maps.Keys(elems)) // nodes are built in the order of their names

	for _, name := range names {
		at := path.Root(attrNodes).AtMapKey(name)
		a := r.object(elems[name])

		spec.Nodes = append(spec.Nodes, cluster.Node{
			Name:     name,
			Role:     r.role(at.AtName(attrRole), a[attrRole]),
			Settings: r.settings(a),
			Patches:  r.patches(at.AtName(attrConfigPatches), a[attrConfigPatches]),
		})
	}

	if diags.Append(r.diags...); diags.HasError() || r.unknown {
		return nil, names, false, diags
	}

	res, err := c.p.builder.Build(ctx, spec)
	if err != nil {
		l := layout{
			node:        func(i int) path.Path { return path.Root(attrNodes).AtMapKey(names[i]) },
			nodePatches: true,
			layers: map[string]layer{
				"allNodes":     {attr: attrConfigPatches, count: len(spec.Layers.AllNodes)},
				"controlPlane": {attr: attrControlPlanePatches, count: len(spec.Layers.ControlPlane)},
				"worker":       {attr: attrWorkerPatches, count: len(spec.Layers.Worker)},
			},
		}
		l.addProblems(&diags, "Invalid cluster input", err)

		return nil, names, false, diags
	}

	return res, names, true, diags
}

// ModifyPlan plans every node's config when the inputs are known, and leaves them unknown when
// an input is unknown until apply (then Create or Update builds them from the same inputs, which
// gives the same bytes: there is no value to change between plan and apply). A config in state
// that is equivalent to the new one (config.Equivalent: the same documents in another encoding)
// is kept as it is.
func (c *clusterResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() { // destroy
		return
	}

	res, _, known, diags := c.build(ctx, req.Plan.GetAttribute)
	if resp.Diagnostics.Append(diags...); diags.HasError() {
		return
	}

	var name types.String

	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("name"), &name)...)
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(attrID), name)...)

	if !known {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(attrMachineConfigurations), types.MapUnknown(types.StringType))...)
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(attrWarnings), types.ListUnknown(types.StringType))...)

		return
	}

	var prior types.Map
	if !req.State.Raw.IsNull() {
		resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root(attrMachineConfigurations), &prior)...)
	}

	resp.Diagnostics.Append(setOutputs(ctx, &resp.Plan, res, prior)...)
}

// setOutputs sets the configs and warnings of res, keeping each config of prior that is
// equivalent to the new one.
func setOutputs(ctx context.Context, to *tfsdk.Plan, res *cluster.Result, prior types.Map) diag.Diagnostics {
	old := prior.Elements()
	configs := make(map[string]attr.Value, len(res.Nodes))

	for _, n := range res.Nodes {
		text := string(n.Config)

		if o, ok := old[n.Name].(types.String); ok && !o.IsNull() && !o.IsUnknown() && o.ValueString() != text {
			if same, err := config.Equivalent([]byte(o.ValueString()), n.Config); err == nil && same {
				text = o.ValueString()
			}
		}

		configs[n.Name] = types.StringValue(text)
	}

	var diags diag.Diagnostics

	diags.Append(to.SetAttribute(ctx, path.Root(attrMachineConfigurations), types.MapValueMust(types.StringType, configs))...)
	diags.Append(to.SetAttribute(ctx, path.Root(attrWarnings), stringList(warningTexts(res.Warnings)))...)

	return diags
}

// apply stores the planned configs; those the plan left unknown are built now from the inputs,
// which are known at apply.
func (c *clusterResource) apply(ctx context.Context, plan tfsdk.Plan, state *tfsdk.State) diag.Diagnostics {
	var planned types.Map

	diags := plan.GetAttribute(ctx, path.Root(attrMachineConfigurations), &planned)
	if diags.HasError() {
		return diags
	}

	if !planned.IsUnknown() {
		state.Raw = plan.Raw

		return diags
	}

	res, _, known, d := c.build(ctx, plan.GetAttribute)
	if diags.Append(d...); diags.HasError() {
		return diags
	}

	if !known {
		diags.AddError("Inputs unknown at apply", "an input of the cluster is still unknown when it is applied; this is a bug of Terraform or of the provider")

		return diags
	}

	out := tfsdk.Plan{Schema: plan.Schema, Raw: plan.Raw}
	diags.Append(setOutputs(ctx, &out, res, types.MapNull(types.StringType))...)
	state.Raw = out.Raw

	return diags
}

func (c *clusterResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	resp.Diagnostics.Append(c.apply(ctx, req.Plan, &resp.State)...)
}

func (c *clusterResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.Diagnostics.Append(c.apply(ctx, req.Plan, &resp.State)...)
}

// Read keeps the state: the configs are a function of the inputs, and nothing is remote.
func (c *clusterResource) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

// Delete forgets the configs (the framework removes the state).
func (c *clusterResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}
