// Package config generates Talos Linux machine configs from an explicit cluster description:
// pure, deterministic, and for an explicit Talos version contract.
//
// # Inputs
//
// A [Cluster] is plain data (yaml and json tags; [LoadCluster] and [Cluster.Marshal]): the
// name, the control-plane endpoint and the Talos version contract are required; every other
// field's zero value is the Talos default, which its comment names. The contract ("v1.13") is
// never defaulted from the machinery version this module is built with.
//
// [Secrets] is the cluster's secrets bundle, in the `talosctl gen secrets` format
// ([LoadSecrets], [Secrets.Marshal]). It is a separate, required parameter and never generated
// implicitly: [NewSecrets] creates one, randomly, once; store it and load it afterwards.
//
// # Generation
//
// [Generate] returns the control-plane and worker configs (machinery config.Provider values)
// and [Talosconfig] the talosctl client config. They read no clock and no randomness: the same
// inputs give the same bytes ([Encode], [EncodeWithComments], [EncodeTalosconfig]), and the
// documents are semantically equal to what `talosctl gen config` writes for the same secrets
// and settings (machinery's bundle.NewBundle; tested for contracts v1.0 to v1.13).
//
//	secrets, err := config.LoadSecrets(secretsYAML)
//	cfgs, err := config.Generate(config.Cluster{
//		Name:              "demo",
//		Endpoint:          "https://10.5.0.2:6443",
//		Contract:          "v1.13",
//		KubernetesVersion: "1.36.0",
//		CNI:               config.CNI{Name: config.CNINone},
//		KubeProxyDisabled: true,
//	}, secrets)
//	controlPlaneYAML, err := config.Encode(cfgs.ControlPlane)
//
// # Per-node configs
//
// [Layers] holds patches (package patches) by scope. [Configs.Node] applies them in the order
// all nodes, then the node's role, then the node's own patches: the order in which
// `talosctl gen config` applies --config-patch, --config-patch-control-plane and
// --config-patch-worker. [Configs.Patch] gives what talosctl writes.
//
// For large fleets, [NodeSettings] is the usual per-node patch (labels, annotations, taints,
// SANs) as data: [Configs.NodeWithSettings] applies it without parsing patch text, and
// [NodeSettings.Patch] is the same change as a patch. A [NodeEncoder] made from a role config
// encodes that role's node configs to exactly the bytes of [Encode], re-encoding only what
// differs from the role config.
//
// # Validation and errors
//
// [Validate] checks a config for a runtime [Mode] (container, metal, cloud): machinery's
// validation plus the checks it leaves out. Warnings are returned as values; every problem is
// reported at once (errors.Join of *[FieldError], each naming the field path, with a suggested
// fix where there is one, such as the https://host:port form of a malformed endpoint).
//
// [Cluster.Warnings] lists what is valid but probably not meant (a Kubernetes version the
// contract's Talos release does not support; kube-proxy disabled with flannel).
//
// Bad input is an error and no output. Errors match the ErrX sentinels with errors.Is:
// [ErrNoName], [ErrEndpoint], [ErrNoContract], [ErrUnknownContract], [ErrContractUnsupported],
// [ErrKubernetesVersion], [ErrNoSecrets], [ErrSecrets], [ErrCNI], [ErrInvalid].
//
// Functions never modify their inputs and are safe for concurrent use.
package config
