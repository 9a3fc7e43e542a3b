package cluster

import (
	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/patches"
)

// Spec is one cluster to build: its description, secrets, patch layers, Cilium and nodes. It is
// plain data except for the Cilium chart; the YAML keys name the paths of problems.
type Spec struct {
	// Cluster is the cluster description. Required (config.Cluster.Validate).
	Cluster config.Cluster `yaml:"cluster"`
	// Secrets is the cluster's secrets bundle. Required.
	Secrets *config.Secrets `yaml:"secrets"`
	// Layers are the patches of all nodes and of each role (config.Layers), in talosctl's order.
	Layers config.Layers `yaml:"layers,omitempty"`
	// Cilium, when set, is rendered once and inlined into the control-plane configs. Nil: no
	// Cilium (the description's CNI is deployed).
	Cilium *Cilium `yaml:"cilium,omitempty"`
	// Nodes are the nodes, each built from its role config. Names must be unique and non-empty.
	Nodes []Node `yaml:"nodes"`
	// Mode is the runtime mode the configs are validated for. Zero (config.ModeUnknown): metal,
	// as `talosctl validate --mode metal`, which needs an install disk.
	Mode config.Mode `yaml:"mode,omitempty"`
}

// Node is one node: its role, its settings and its own patches.
type Node struct {
	// Name identifies the node in the Spec and in the result (a Terraform map key, a file name).
	// It is not the hostname; set Settings.Hostname for that.
	Name string `yaml:"name"`
	// Role is the node's role. Required.
	Role config.Role `yaml:"role"`
	// Settings are the node's hostname, labels, annotations, taints and certificate SANs.
	Settings config.NodeSettings `yaml:"settings,omitempty"`
	// Patches are the node's own patches, applied last.
	Patches []patches.Patch `yaml:"patches,omitempty"`
}

// Cilium is the Cilium chart to render and inline into the control-plane configs, with what the
// description does not already say. Kube-proxy, KubePrism and the Kubernetes version come from
// the description (install.CiliumOptions and install.RenderCilium).
type Cilium struct {
	// Renderer is the loaded chart (the Renderer field of what source.LoadRendererRef or
	// source.LoadRenderer returns, or manifests.NewRenderer of a chart). Required. Renders are memoised per Renderer: load a chart once and reuse it.
	Renderer *manifests.Renderer `yaml:"-"`
	// ManifestName is the inline manifest's name. Empty: "cilium".
	ManifestName string `yaml:"manifestName,omitempty"`
	// CertificatesInCluster makes Hubble's certificates in the cluster (a CronJob) instead of
	// during the render (manifests.CiliumOptions.CertificatesInCluster).
	CertificatesInCluster bool `yaml:"certificatesInCluster,omitempty"`
	// DisableXTSocketFallback sets enableXTSocketFallback=false.
	DisableXTSocketFallback bool `yaml:"disableXTSocketFallback,omitempty"`
	// Options are the render options: namespace, values files, assignments, Previous, ...
	Options manifests.RenderOptions `yaml:"-"`
	// Deterministic refuses a render whose output differs between runs
	// (manifests.RenderOptions.Deterministic): certificates made by Helm, randomness, the clock.
	// A Terraform provider wants it: a render that changes is a perpetual diff.
	Deterministic bool `yaml:"deterministic,omitempty"`
}
