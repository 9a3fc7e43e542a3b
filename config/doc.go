// Package config generates Talos Linux machine configs from an explicit cluster description:
// pure, deterministic, and for an explicit Talos version contract.
//
// The input is plain data: a [Cluster] (name, endpoint, contract, Kubernetes version, CNI,
// kube-proxy, KubePrism, discovery, install disk and image, SANs, subnets, DNS domain; every
// optional field's zero value is the Talos default) and a [Secrets] bundle, which is required
// and never generated implicitly. From them [Generate] builds the control-plane and worker
// configs and [Talosconfig] the talosctl client config. The same inputs always give the same
// bytes, and the configs are semantically equal to what `talosctl gen config` generates for
// the same secrets and settings.
//
//	s, err := config.LoadSecrets(secretsYAML) // or config.NewSecrets(time.Now(), contract), once
//	cfgs, err := config.Generate(config.Cluster{
//		Name:              "demo",
//		Endpoint:          "https://10.5.0.2:6443",
//		Contract:          "v1.13",
//		KubernetesVersion: "1.36.0",
//		CNI:               config.CNI{Name: config.CNINone},
//		KubeProxyDisabled: true,
//	}, s)
//	controlPlaneYAML, err := config.Encode(cfgs.ControlPlane)
//
// Bad input is an error and no output: errors name the field (*FieldError) and match the ErrX
// sentinels, and every problem is reported at once.
package config
