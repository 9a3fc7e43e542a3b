// Package config generates Talos Linux machine configs from an explicit cluster description:
// pure, deterministic, and for an explicit Talos version contract.
//
// # Inputs
//
// A [Cluster] is plain data (yaml and json tags; [LoadCluster] and [Cluster.Marshal]): the
// name, the control-plane endpoint, the Talos version contract (a talos.Contract, written
// "v1.14") and the Kubernetes version are required; every other field's zero value is the Talos
// default, which its comment names. The contract is never defaulted, and the Kubernetes version
// is checked against the range the contract's Talos release supports (talos.Contract.Kubernetes).
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
// and settings (machinery v1.14.1's bundle.NewBundle; tested for contracts v1.0 to v1.14). A
// setting talosctl has no flag for is written the way a talosctl user's patch writes it for the
// contract: on v1.14, CNI none deletes the KubeFlannelCNIConfig document and kube-proxy
// disabled is KubeProxyConfig "enabled: false", both in the control-plane config only; on v1.13
// and older they are v1alpha1 fields of every node.
//
//	secrets, err := config.LoadSecrets(secretsYAML)
//	cfgs, err := config.Generate(config.Cluster{
//		Name:              "demo",
//		Endpoint:          "https://10.5.0.2:6443",
//		Contract:          talos.V1_14,
//		KubernetesVersion: "1.37.0",
//		CNI:               config.CNI{Name: config.CNINone},
//		KubeProxyDisabled: true,
//	}, secrets)
//	controlPlaneYAML, err := config.Encode(cfgs.ControlPlane)
//
// # Per-node configs
//
// There is one way to build a node: a [Builder]. [Layers] holds patches (package patches) by
// scope; [Configs.NewBuilder] applies them once, in the order all nodes, then the node's role
// (the order in which `talosctl gen config` applies --config-patch,
// --config-patch-control-plane and --config-patch-worker), and the builder turns a [Node] —
// role, [NodeSettings], own patches — into its config ([Builder.Config]) or its encoding
// ([Builder.Build], [Builder.Append]: the bytes of [Encode]); [Builder.Validate] checks a role
// config once, in place, before nodes are built from it. [Configs.Patch] gives the role configs
// talosctl writes.
//
//	b, err := cfgs.NewBuilder(layers)
//	data, err := b.Build(config.Node{Role: config.RoleWorker, Settings: config.NodeSettings{Hostname: "worker-1"}})
//
// [NodeSettings] is the usual per-node patch (hostname, labels, annotations, taints, SANs) as
// data, written in the role config's form (the KubeNodeConfig and HostnameConfig documents on
// v1.14); [NodeSettings.Patch] is that patch as text. Merging is done by package patches only;
// for a node without patches of its own the Builder takes a faster path (internal/nodeencode)
// that gives the same bytes without copying the role config, tested field by field of
// NodeSettings against the patch.
//
// # Validation and errors
//
// [Validate] checks a config for a runtime [Mode] (container, metal, cloud) as a client does:
// machinery's validation plus the checks it leaves out. Warnings are talos.Warning values; every
// problem is reported at once (talos.Join of *talos.FieldError, each naming the document and
// the RFC 6901 path of the field, with a fix where there is one, such as the https://host:port
// form of a malformed endpoint). On v1.14 a v1alpha1 field beside the document that replaced it
// is reported at the field with the document and the recipe to use instead. [Load] reads a
// written config back for validation and inspection.
//
// [Cluster.Warnings] (also in [Configs].Warnings) lists what is valid but probably not meant
// (a Kubernetes version outside the supported range, when allowed; kube-proxy disabled with
// flannel).
//
// Bad input is an error and no output. Errors match the ErrX sentinels with errors.Is:
// [ErrNoName], [ErrEndpoint], [ErrNoContract], [ErrUnknownContract], [ErrContractUnsupported],
// [ErrKubernetesVersion], [ErrNoSecrets], [ErrSecrets], [ErrCNI], [ErrNodeSettings], [ErrInvalid].
//
// Functions never modify their inputs and are safe for concurrent use.
package config
