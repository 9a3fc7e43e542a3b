package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	dschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/talospatch/talospatch/examples/terraform-provider/internal/fielddocs"
)

// attributeName is the attribute name of a library field's YAML key.
var attributeName = fielddocs.AttributeName

// kind is the type of an attribute.
type kind int

const (
	kString kind = iota + 1
	kBool
	kInt
	kStringList
	kStringMap
	kObject    // single nested attribute
	kObjectMap // map nested attribute
)

// field is one attribute, described once and turned into the data source's or the resource's
// schema. doc is the key of its description in FieldDocs (the library's doc comment) or, for
// an attribute that is the provider's own, the description itself (own set).
type field struct {
	name      string
	kind      kind
	doc       string
	own       bool   // doc is the text, not a FieldDocs key
	note      string // what the provider adds to the library's doc (its default)
	required  bool
	computed  bool
	sensitive bool
	attrs     []field // of kObject and kObjectMap
}

// description returns the attribute's description: the library's doc of the field, followed
// by the provider's note.
func (f field) description() string {
	text := f.doc
	if !f.own {
		var ok bool
		if text, ok = FieldDocs[f.doc]; !ok {
			panic(fmt.Sprintf("no library doc %q for attribute %s", f.doc, f.name))
		}
	}

	if f.note != "" {
		text += " " + f.note
	}

	return text
}

func (f field) dataSourceAttribute() dschema.Attribute {
	d, req, opt, comp, sens := f.description(), f.required, !f.required && !f.computed, f.computed, f.sensitive

	switch f.kind {
	case kString:
		return dschema.StringAttribute{Description: d, Required: req, Optional: opt, Computed: comp, Sensitive: sens}
	case kBool:
		return dschema.BoolAttribute{Description: d, Required: req, Optional: opt, Computed: comp, Sensitive: sens}
	case kInt:
		return dschema.Int64Attribute{Description: d, Required: req, Optional: opt, Computed: comp, Sensitive: sens}
	case kStringList:
		return dschema.ListAttribute{ElementType: types.StringType, Description: d, Required: req, Optional: opt, Computed: comp, Sensitive: sens}
	case kStringMap:
		return dschema.MapAttribute{ElementType: types.StringType, Description: d, Required: req, Optional: opt, Computed: comp, Sensitive: sens}
	case kObject:
		return dschema.SingleNestedAttribute{Attributes: dataSourceAttributes(f.attrs), Description: d, Required: req, Optional: opt, Computed: comp, Sensitive: sens}
	case kObjectMap:
		return dschema.MapNestedAttribute{NestedObject: dschema.NestedAttributeObject{Attributes: dataSourceAttributes(f.attrs)},
			Description: d, Required: req, Optional: opt, Computed: comp, Sensitive: sens}
	}

	panic("unknown kind")
}

func (f field) resourceAttribute() rschema.Attribute {
	d, req, opt, comp, sens := f.description(), f.required, !f.required && !f.computed, f.computed, f.sensitive

	switch f.kind {
	case kString:
		return rschema.StringAttribute{Description: d, Required: req, Optional: opt, Computed: comp, Sensitive: sens}
	case kBool:
		return rschema.BoolAttribute{Description: d, Required: req, Optional: opt, Computed: comp, Sensitive: sens}
	case kInt:
		return rschema.Int64Attribute{Description: d, Required: req, Optional: opt, Computed: comp, Sensitive: sens}
	case kStringList:
		return rschema.ListAttribute{ElementType: types.StringType, Description: d, Required: req, Optional: opt, Computed: comp, Sensitive: sens}
	case kStringMap:
		return rschema.MapAttribute{ElementType: types.StringType, Description: d, Required: req, Optional: opt, Computed: comp, Sensitive: sens}
	case kObject:
		return rschema.SingleNestedAttribute{Attributes: resourceAttributes(f.attrs), Description: d, Required: req, Optional: opt, Computed: comp, Sensitive: sens}
	case kObjectMap:
		return rschema.MapNestedAttribute{NestedObject: rschema.NestedAttributeObject{Attributes: resourceAttributes(f.attrs)},
			Description: d, Required: req, Optional: opt, Computed: comp, Sensitive: sens}
	}

	panic("unknown kind")
}

func dataSourceAttributes(fs []field) map[string]dschema.Attribute {
	out := make(map[string]dschema.Attribute, len(fs))
	for _, f := range fs {
		out[f.name] = f.dataSourceAttribute()
	}

	return out
}

func resourceAttributes(fs []field) map[string]rschema.Attribute {
	out := make(map[string]rschema.Attribute, len(fs))
	for _, f := range fs {
		out[f.name] = f.resourceAttribute()
	}

	return out
}

// Attribute names of the inputs, shared by the data sources and the resource.
const (
	attrSecrets             = "secrets"
	attrConfigPatches       = "config_patches"
	attrControlPlanePatches = "control_plane_patches"
	attrWorkerPatches       = "worker_patches"
	attrCilium              = "cilium"
	attrNodes               = "nodes"
	attrRole                = "role"
	attrValidationMode      = "validation_mode"
)

// defaultContract is the contract of a description that names none.
const defaultContract = "v1.14"

// descriptionFields are the cluster description, config.Cluster field by field, as top-level
// attributes (Terraform shows a diagnostic at its source line only for a top-level attribute or
// a block): the names are the snake case of its YAML keys (fielddocs.AttributeName), a nested
// description type's fields prefixed with its name (cni_urls, kube_prism_port).
func descriptionFields() []field {
	c := func(goName, yamlKey string, k kind) field {
		return field{name: attributeName(yamlKey), kind: k, doc: "config.Cluster." + goName}
	}

	name := c("Name", "name", kString)
	name.required = true
	endpoint := c("Endpoint", "endpoint", kString)
	endpoint.required = true
	kubernetes := c("KubernetesVersion", "kubernetesVersion", kString)
	kubernetes.required = true
	contract := c("Contract", "contract", kString)
	contract.note = "In this provider it is optional: unset, it is " + defaultContract + "."

	return []field{
		name, endpoint, contract, kubernetes,
		c("AllowUnsupportedKubernetes", "allowUnsupportedKubernetes", kBool),
		{name: "cni_name", kind: kString, doc: "config.CNI.Name", note: `Written "flannel", "custom" or "none"; unset: flannel, deployed by Talos.`},
		{name: "cni_urls", kind: kStringList, doc: "config.CNI.URLs"},
		c("KubeProxyDisabled", "kubeProxyDisabled", kBool),
		{name: "kube_prism_disabled", kind: kBool, doc: "config.KubePrism.Disabled"},
		{name: "kube_prism_port", kind: kInt, doc: "config.KubePrism.Port"},
		{name: "discovery_disabled", kind: kBool, doc: "config.Discovery.Disabled"},
		c("KubeSpan", "kubeSpan", kBool),
		c("InstallDisk", "installDisk", kString),
		c("InstallImage", "installImage", kString),
		c("ExtraCertSANs", "extraCertSANs", kStringList),
		c("PodSubnets", "podSubnets", kStringList),
		c("ServiceSubnets", "serviceSubnets", kStringList),
		c("DNSDomain", "dnsDomain", kString),
		c("TalosEndpoints", "talosEndpoints", kStringList),
	}
}

// settingsFields are the node settings, config.NodeSettings attribute by attribute.
func settingsFields() []field {
	s := func(goName, yamlKey string, k kind) field {
		return field{name: attributeName(yamlKey), kind: k, doc: "config.NodeSettings." + goName}
	}

	return []field{
		s("Hostname", "hostname", kString),
		s("Labels", "labels", kStringMap),
		s("Annotations", "annotations", kStringMap),
		s("Taints", "taints", kStringMap),
		s("CertSANs", "certSANs", kStringList),
	}
}

func secretsField() field {
	return field{
		name: attrSecrets, kind: kString, required: true, sensitive: true, own: true,
		doc: "The cluster's secrets bundle as `talosctl gen secrets` writes it (YAML), for example file(\"secrets.yaml\"). " +
			"Stored once in state; never generated implicitly.",
	}
}

func patchFields(withRoles bool) []field {
	fs := []field{{
		name: attrConfigPatches, kind: kStringList, own: true,
		doc: "Patches for every node, in order, as `talosctl gen config --config-patch` takes them: strategic merge " +
			"(YAML), RFC 6902 JSON patches (also on multi-document configs) or a YAML list of operations.",
	}}

	if withRoles {
		fs = append(fs,
			field{name: attrControlPlanePatches, kind: kStringList, own: true,
				doc: "Patches for the control planes, after config_patches (--config-patch-control-plane)."},
			field{name: attrWorkerPatches, kind: kStringList, own: true,
				doc: "Patches for the workers, after config_patches (--config-patch-worker)."},
		)
	}

	return fs
}

func validationModeField() field {
	return field{
		name: attrValidationMode, kind: kString, own: true,
		doc: `The runtime mode the configs are validated for: "metal" (installed from an ISO or PXE; needs an install disk), ` +
			`"cloud" or "container". Unset: metal.`,
	}
}

// ciliumField is the optional Cilium block: the chart and what the description does not say.
func ciliumField() field {
	return field{
		name: attrCilium, kind: kObject, own: true,
		doc: "Cilium, rendered offline once per cluster and inlined into the control-plane configs (Talos's " +
			"Cilium guide, inline method). The cluster's cni.name must be \"none\"; kube-proxy, KubePrism and the " +
			"Kubernetes version of the render come from the cluster description.",
		attrs: []field{
			{name: "chart", kind: kString, required: true, own: true,
				doc: "The chart: an archive or directory path, an HTTP repository URL with the chart name " +
					"(https://helm.cilium.io/cilium, with version) or an OCI reference (oci://...)."},
			{name: "version", kind: kString, own: true, doc: "The chart version, for a repository or an OCI reference without a tag."},
			{name: "namespace", kind: kString, doc: "manifests.RenderOptions.Namespace"},
			{name: "values", kind: kStringList, doc: "manifests.RenderOptions.ValuesFiles"},
			{name: "set", kind: kStringList, doc: "manifests.RenderOptions.Set"},
			{name: "certificates_in_cluster", kind: kBool, doc: "cluster.Cilium.CertificatesInCluster",
				note: "Unset: true, so that the render is the same on every plan."},
			{name: "deterministic", kind: kBool, doc: "cluster.Cilium.Deterministic", note: "Unset: true."},
		},
	}
}

// getter is tfsdk.Config.GetAttribute, tfsdk.Plan.GetAttribute or tfsdk.State.GetAttribute.
type getter func(ctx context.Context, p path.Path, target any) diag.Diagnostics

// values reads the top-level attributes of fs, each as its framework value type.
func values(ctx context.Context, get getter, fs []field) (map[string]attr.Value, diag.Diagnostics) {
	out := make(map[string]attr.Value, len(fs))

	var diags diag.Diagnostics

	for _, f := range fs {
		var (
			v   attr.Value
			err diag.Diagnostics
		)

		switch f.kind {
		case kString:
			var s types.String
			err = get(ctx, path.Root(f.name), &s)
			v = s
		case kBool:
			var b types.Bool
			err = get(ctx, path.Root(f.name), &b)
			v = b
		case kInt:
			var i types.Int64
			err = get(ctx, path.Root(f.name), &i)
			v = i
		case kStringList:
			var l types.List
			err = get(ctx, path.Root(f.name), &l)
			v = l
		case kStringMap, kObjectMap:
			var m types.Map
			err = get(ctx, path.Root(f.name), &m)
			v = m
		case kObject:
			var o types.Object
			err = get(ctx, path.Root(f.name), &o)
			v = o
		}

		diags.Append(err...)
		out[f.name] = v
	}

	return out, diags
}
