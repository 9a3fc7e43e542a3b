package provider

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

// reader turns attribute values into Go values. It notes whether any value it read was unknown
// (then the caller leaves its outputs unknown) and collects diagnostics at attribute paths.
type reader struct {
	unknown bool
	diags   diag.Diagnostics
}

func (r *reader) str(v attr.Value) string {
	s, _ := v.(basetypes.StringValue)
	if s.IsUnknown() {
		r.unknown = true
	}

	return s.ValueString()
}

func (r *reader) boolean(v attr.Value) bool {
	b, _ := v.(basetypes.BoolValue)
	if b.IsUnknown() {
		r.unknown = true
	}

	return b.ValueBool()
}

func (r *reader) integer(v attr.Value) int64 {
	i, _ := v.(basetypes.Int64Value)
	if i.IsUnknown() {
		r.unknown = true
	}

	return i.ValueInt64()
}

func (r *reader) strings(v attr.Value) []string {
	l, _ := v.(basetypes.ListValue)
	if l.IsUnknown() {
		r.unknown = true
	}

	if l.IsNull() || l.IsUnknown() {
		return nil
	}

	out := make([]string, 0, len(l.Elements()))
	for _, e := range l.Elements() {
		out = append(out, r.str(e))
	}

	return out
}

func (r *reader) stringMap(v attr.Value) map[string]string {
	m, _ := v.(basetypes.MapValue)
	if m.IsUnknown() {
		r.unknown = true
	}

	if m.IsNull() || m.IsUnknown() {
		return nil
	}

	out := make(map[string]string, len(m.Elements()))
	for k, e := range m.Elements() {
		out[k] = r.str(e)
	}

	return out
}

// object returns the attributes of an object; nil when it is null or unknown.
func (r *reader) object(v attr.Value) map[string]attr.Value {
	o, _ := v.(basetypes.ObjectValue)
	if o.IsUnknown() {
		r.unknown = true
	}

	if o.IsNull() || o.IsUnknown() {
		return nil
	}

	return o.Attributes()
}

// optionalBool returns the value of a boolean that means def when unset.
func (r *reader) optionalBool(v attr.Value, def bool) bool {
	b, _ := v.(basetypes.BoolValue)
	if b.IsNull() {
		return def
	}

	return r.boolean(v)
}

// description reads the description's attributes (clusterFields) into a config.Cluster. A
// contract or CNI name that does not parse is a diagnostic at its attribute.
func (r *reader) description(a map[string]attr.Value) config.Cluster {
	c := config.Cluster{
		Name:                       r.str(a["name"]),
		Endpoint:                   r.str(a["endpoint"]),
		KubernetesVersion:          r.str(a["kubernetes_version"]),
		AllowUnsupportedKubernetes: r.boolean(a["allow_unsupported_kubernetes"]),
		CNI:                        config.CNI{URLs: r.strings(a["cni_urls"])},
		KubeProxyDisabled:          r.boolean(a["kube_proxy_disabled"]),
		KubePrism:                  config.KubePrism{Disabled: r.boolean(a["kube_prism_disabled"]), Port: int(r.integer(a["kube_prism_port"]))},
		Discovery:                  config.Discovery{Disabled: r.boolean(a["discovery_disabled"])},
		KubeSpan:                   r.boolean(a["kubespan"]),
		InstallDisk:                r.str(a["install_disk"]),
		InstallImage:               r.str(a["install_image"]),
		ExtraCertSANs:              r.strings(a["extra_cert_sans"]),
		PodSubnets:                 r.strings(a["pod_subnets"]),
		ServiceSubnets:             r.strings(a["service_subnets"]),
		DNSDomain:                  r.str(a["dns_domain"]),
		TalosEndpoints:             r.strings(a["talos_endpoints"]),
	}

	contract := r.str(a["contract"])
	if contract == "" {
		contract = defaultContract
	}

	if err := c.Contract.UnmarshalText([]byte(contract)); err != nil && !r.unknown {
		r.diags.AddAttributeError(path.Root("contract"), "Unknown Talos contract", err.Error())
	}

	if err := c.CNI.Name.UnmarshalText([]byte(r.str(a["cni_name"]))); err != nil {
		r.diags.AddAttributeError(path.Root("cni_name"), "Unknown CNI", err.Error()+`; write "flannel", "custom" or "none"`)
	}

	return c
}

// secrets reads the secrets bundle; a bundle that does not load is a diagnostic at secrets.
func (r *reader) secrets(v attr.Value) *config.Secrets {
	text := r.str(v)
	if r.unknown || text == "" {
		return nil
	}

	s, err := config.LoadSecrets([]byte(text))
	if err != nil {
		for _, p := range talos.Problems(err) {
			r.diags.AddAttributeError(path.Root(attrSecrets), "Invalid secrets bundle", p.String())
		}
	}

	return s
}

// patches parses a list of patches; each that does not parse is a diagnostic at its element.
func (r *reader) patches(at path.Path, v attr.Value) []patches.Patch {
	texts := r.strings(v)
	out := make([]patches.Patch, 0, len(texts))

	for i, text := range texts {
		if r.unknown {
			return nil
		}

		p, err := patches.Parse([]byte(text))
		if err != nil {
			r.diags.AddAttributeError(at.AtListIndex(i), "Invalid patch", err.Error())

			continue
		}

		out = append(out, p)
	}

	return out
}

// settings reads node settings from the attributes of settingsFields.
func (r *reader) settings(a map[string]attr.Value) config.NodeSettings {
	return config.NodeSettings{
		Hostname:    r.str(a["hostname"]),
		Labels:      r.stringMap(a["labels"]),
		Annotations: r.stringMap(a["annotations"]),
		Taints:      r.stringMap(a["taints"]),
		CertSANs:    r.strings(a["cert_sans"]),
	}
}

// role reads a role, "controlplane" or "worker".
func (r *reader) role(at path.Path, v attr.Value) config.Role {
	var role config.Role

	text := r.str(v)
	if r.unknown {
		return role
	}

	if err := role.UnmarshalText([]byte(text)); err != nil {
		r.diags.AddAttributeError(at, "Unknown role", fmt.Sprintf(`%v; write "controlplane" or "worker"`, err))
	}

	return role
}

// mode reads the validation mode; unset is metal.
func (r *reader) mode(v attr.Value) config.Mode {
	text := r.str(v)
	if text == "" || r.unknown {
		return config.ModeMetal
	}

	var m config.Mode
	if err := m.UnmarshalText([]byte(text)); err != nil {
		r.diags.AddAttributeError(path.Root(attrValidationMode), "Unknown validation mode", err.Error())
	}

	return m
}

// stringList is a list value of strings.
func stringList(ss []string) types.List {
	elems := make([]attr.Value, 0, len(ss))
	for _, s := range ss {
		elems = append(elems, types.StringValue(s))
	}

	return types.ListValueMust(types.StringType, elems)
}
