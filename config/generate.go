package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"slices"

	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"
	configconfig "github.com/siderolabs/talos/pkg/machinery/config/config"
	"github.com/siderolabs/talos/pkg/machinery/config/container"
	"github.com/siderolabs/talos/pkg/machinery/config/encoder"
	"github.com/siderolabs/talos/pkg/machinery/config/generate"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"
	"github.com/siderolabs/talos/pkg/machinery/config/types/k8s"
	"github.com/siderolabs/talos/pkg/machinery/config/types/meta"
	"github.com/siderolabs/talos/pkg/machinery/config/types/v1alpha1"

	"github.com/talospatch/talospatch/internal/machineryseam"
	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

// Role is the role of a machine: control plane or worker.
type Role int

// Roles. The zero value is not a role.
const (
	// RoleUnknown is the zero value; generating functions refuse it.
	RoleUnknown Role = iota
	// RoleControlPlane runs etcd and the Kubernetes control plane.
	RoleControlPlane
	// RoleWorker runs workloads only.
	RoleWorker
)

// String returns "controlplane", "worker" or "unknown", the names Talos uses for machine types.
func (r Role) String() string {
	switch r {
	case RoleControlPlane:
		return "controlplane"
	case RoleWorker:
		return "worker"
	case RoleUnknown:
		return "unknown"
	default:
		return fmt.Sprintf("Role(%d)", int(r))
	}
}

// MarshalText implements encoding.TextMarshaler; RoleUnknown and unknown values are an error.
func (r Role) MarshalText() ([]byte, error) {
	switch r {
	case RoleControlPlane, RoleWorker:
		return []byte(r.String()), nil
	case RoleUnknown:
	}

	return nil, fmt.Errorf("marshal role: %w: %s", ErrInvalid, r)
}

// UnmarshalText implements encoding.TextUnmarshaler: "controlplane" or "worker".
func (r *Role) UnmarshalText(text []byte) error {
	switch string(text) {
	case "controlplane":
		*r = RoleControlPlane
	case "worker":
		*r = RoleWorker
	default:
		return fmt.Errorf("unmarshal role: %w: %q, want controlplane or worker", ErrInvalid, text)
	}

	return nil
}

func (r Role) machineType() (machine.Type, error) {
	switch r {
	case RoleControlPlane:
		return machine.TypeControlPlane, nil
	case RoleWorker:
		return machine.TypeWorker, nil
	case RoleUnknown:
	}

	return machine.TypeUnknown, fmt.Errorf("%w: role %s", ErrInvalid, r)
}

// Configs are the two role configs of a cluster.
type Configs struct {
	// ControlPlane is the control-plane machine config.
	ControlPlane coreconfig.Provider
	// Worker is the worker machine config.
	Worker coreconfig.Provider
	// Warnings are the cluster description's warnings ([Cluster.Warnings]): valid, generated,
	// but probably not meant.
	Warnings []talos.Warning
}

// Generate returns the control-plane and worker configs of cluster c with secrets s. It is
// pure and deterministic: the same inputs give configs that encode to the same bytes. The
// configs are semantically equal to what `talosctl gen config` (machinery's
// bundle.NewBundle) generates with the same secrets, contract and settings, where a
// setting without a talosctl flag (kube-proxy disabled, subnets) is the patch a talosctl user
// would write for it.
//
// The cluster is validated first ([Cluster.Validate]); any problem, or nil secrets, is an
// error and there is no output.
func Generate(c Cluster, s *Secrets) (Configs, error) {
	in, err := newInput(c, s)
	if err != nil {
		return Configs{}, fmt.Errorf("generate configs: %w", err)
	}

	cp, err := in.config(RoleControlPlane)
	if err != nil {
		return Configs{}, fmt.Errorf("generate configs: %w", err)
	}

	w, err := in.config(RoleWorker)
	if err != nil {
		return Configs{}, fmt.Errorf("generate configs: %w", err)
	}

	return Configs{ControlPlane: cp, Worker: w, Warnings: c.Warnings()}, nil
}

// RoleConfig returns the machine config of one role; see [Generate].
func RoleConfig(c Cluster, s *Secrets, role Role) (coreconfig.Provider, error) {
	in, err := newInput(c, s)
	if err != nil {
		return nil, fmt.Errorf("generate %s config: %w", role, err)
	}

	cfg, err := in.config(role)
	if err != nil {
		return nil, fmt.Errorf("generate %s config: %w", role, err)
	}

	return cfg, nil
}

// input is a validated cluster with its secrets, ready for machinery.
type input struct {
	cluster Cluster
	secrets *Secrets
}

func newInput(c Cluster, s *Secrets) (*input, error) {
	var errs []error

	if err := c.Validate(); err != nil {
		errs = append(errs, err)
	}

	if s.empty() {
		errs = append(errs, ErrNoSecrets)
	}

	if err := talos.Join(errs...); err != nil {
		return nil, err
	}

	return &input{cluster: cloneCluster(c), secrets: s}, nil
}

// generateOptions maps the cluster onto machinery's generate options: the same options
// talosctl gen config passes for its flags.
func (in *input) generateOptions() []generate.Option {
	c := in.cluster

	opts := []generate.Option{
		generate.WithVersionContract(versionContract(c.Contract)),
		// A fresh deep copy per call: machinery puts pointers into the bundle into the configs.
		generate.WithSecretsBundle(in.secrets.Bundle()),
	}

	if c.InstallDisk != "" {
		opts = append(opts, generate.WithInstallDisk(c.InstallDisk))
	}

	if c.InstallImage != "" {
		opts = append(opts, generate.WithInstallImage(c.InstallImage))
	}

	if len(c.ExtraCertSANs) > 0 {
		opts = append(opts, generate.WithAdditionalSubjectAltNames(slices.Clone(c.ExtraCertSANs)))
	}

	if c.DNSDomain != "" {
		opts = append(opts, generate.WithDNSDomain(c.DNSDomain))
	}

	if c.Discovery.Disabled {
		opts = append(opts, generate.WithClusterDiscovery(false))
	}

	switch {
	case c.KubePrism.Disabled:
		opts = append(opts, generate.WithKubePrismPort(0))
	case c.KubePrism.Port != 0:
		opts = append(opts, generate.WithKubePrismPort(c.KubePrism.Port))
	}

	if len(c.TalosEndpoints) > 0 {
		opts = append(opts, generate.WithEndpointList(slices.Clone(c.TalosEndpoints)))
	}

	if c.CNI.Name == CNICustom {
		// talosctl's one CNI option (machinery v1.14 has no other): the first URL; finish
		// writes the others.
		opts = append(opts, generate.WithCustomCNIUrl(c.CNI.URLs[0]))
	}

	if c.KubeSpan {
		opts = append(opts, generate.WithKubeSpanEnabled(true))
	}

	return opts
}

func cniConfig(cni CNI) *v1alpha1.CNIConfig {
	if cni.Name == CNIDefault {
		return nil
	}

	return &v1alpha1.CNIConfig{CNIName: cni.Name.String(), CNIUrls: slices.Clone(cni.URLs)}
}

func (in *input) machineryInput() (*generate.Input, error) {
	c := in.cluster

	gi, err := generate.NewInput(c.Name, c.Endpoint, c.kubernetesVersion(), in.generateOptions()...)
	if err != nil {
		return nil, err
	}

	return gi, nil
}

// config generates the config of one role.
func (in *input) config(role Role) (coreconfig.Provider, error) {
	t, err := role.machineType()
	if err != nil {
		return nil, err
	}

	gi, err := in.machineryInput()
	if err != nil {
		return nil, err
	}

	cfg, err := gi.Config(t)
	if err != nil {
		return nil, err
	}

	return in.finish(cfg)
}

// finish applies the settings machinery has no generate option for, in the contract's form,
// as the patch a talosctl user would write for them does: on v1.13 and older an all-nodes
// v1alpha1 patch; on v1.14 the documents (the flannel document deleted and kube-proxy disabled
// in the control-plane config only, where those documents are).
func (in *input) finish(cfg coreconfig.Provider) (coreconfig.Provider, error) {
	ctr, ok := cfg.(*container.Container)
	if !ok {
		return nil, fmt.Errorf("unexpected config type %T from machinery", cfg)
	}

	if in.cluster.Contract.Form(talos.SettingCNI).Document() {
		return in.finishDocuments(ctr)
	}

	return in.finishV1Alpha1(ctr)
}

func (in *input) finishV1Alpha1(ctr *container.Container) (coreconfig.Provider, error) {
	c := in.cluster

	cni := cniConfig(c.CNI)

	if cni == nil && !c.KubeProxyDisabled && len(c.PodSubnets) == 0 && len(c.ServiceSubnets) == 0 {
		return ctr, nil
	}

	return ctr.PatchV1Alpha1(func(v *v1alpha1.Config) error {
		if v.ClusterConfig == nil {
			v.ClusterConfig = &v1alpha1.ClusterConfig{}
		}

		if cni != nil || len(c.PodSubnets) > 0 || len(c.ServiceSubnets) > 0 {
			if v.ClusterConfig.ClusterNetwork == nil {
				v.ClusterConfig.ClusterNetwork = &v1alpha1.ClusterNetworkConfig{}
			}
		}

		if cni != nil {
			v.ClusterConfig.ClusterNetwork.CNI = cni
		}

		if c.KubeProxyDisabled {
			if v.ClusterConfig.ProxyConfig == nil {
				v.ClusterConfig.ProxyConfig = &v1alpha1.ProxyConfig{}
			}

			v.ClusterConfig.ProxyConfig.Disabled = new(true)
		}

		if len(c.PodSubnets) > 0 {
			v.ClusterConfig.ClusterNetwork.PodSubnet = slices.Clone(c.PodSubnets)
		}

		if len(c.ServiceSubnets) > 0 {
			v.ClusterConfig.ClusterNetwork.ServiceSubnet = slices.Clone(c.ServiceSubnets)
		}

		return nil
	})
}

func (in *input) finishDocuments(ctr *container.Container) (coreconfig.Provider, error) {
	c := in.cluster

	docs := make([]configconfig.Document, 0, len(ctr.Documents())+len(c.CNI.URLs))

	for _, d := range ctr.Documents() {
		switch doc := d.(type) {
		case *k8s.KubeFlannelCNIConfigV1Alpha1:
			if c.CNI.Name == CNINone {
				continue // the guide's CNI none: the flannel document deleted
			}
		case *k8s.KubeProxyConfigV1Alpha1:
			if c.KubeProxyDisabled {
				doc = doc.DeepCopy()
				doc.ProxyEnabled = new(false)
				d = doc
			}
		case *k8s.KubeNetworkConfigV1Alpha1:
			if len(c.PodSubnets) > 0 || len(c.ServiceSubnets) > 0 {
				doc = doc.DeepCopy()

				if len(c.PodSubnets) > 0 {
					doc.NetworkPodSubnets = prefixes(c.PodSubnets)
				}

				if len(c.ServiceSubnets) > 0 {
					doc.NetworkServiceSubnets = prefixes(c.ServiceSubnets)
				}

				d = doc
			}
		case *k8s.KubeExternalManifestConfigV1Alpha1:
			docs = append(docs, d)

			if doc.MetaName == patches.CustomCNIName(0) {
				for i, u := range c.CNI.URLs[1:] {
					extra := k8s.NewKubeExternalManifestConfigV1Alpha1()
					extra.MetaName = patches.CustomCNIName(i + 1)

					parsed, err := url.Parse(u)
					if err != nil {
						return nil, fmt.Errorf("cni url %q: %w", u, err) // unreachable: Validate checked it
					}

					extra.URLSpec = meta.URL{URL: parsed}
					docs = append(docs, extra)
				}
			}

			continue
		}

		docs = append(docs, d)
	}

	return container.New(docs...)
}

// prefixes parses subnets that Validate checked.
func prefixes(subnets []string) []meta.Prefix {
	out := make([]meta.Prefix, 0, len(subnets))

	for _, s := range subnets {
		out = append(out, meta.Prefix{Prefix: netip.MustParsePrefix(s)})
	}

	return out
}

// Encode encodes a machine config as compact YAML without comments: every document in a fixed
// order (the v1alpha1 document first, then the others in the order they were generated or
// patched in), separated by "---". Same config, same bytes.
func Encode(cfg coreconfig.Provider) ([]byte, error) {
	if cfg == nil {
		return nil, fmt.Errorf("encode config: %w: nil config", ErrInvalid)
	}

	out, err := machineryseam.EncodeConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}

	return out, nil
}

// EncodeWithComments encodes a machine config like [Encode] but with the documentation
// comments and examples talosctl writes (about twice as large).
func EncodeWithComments(cfg coreconfig.Provider) ([]byte, error) {
	if cfg == nil {
		return nil, fmt.Errorf("encode config: %w: nil config", ErrInvalid)
	}

	out, err := cfg.EncodeBytes(encoder.WithComments(encoder.CommentsAll))
	if err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}

	return out, nil
}
