// Package install turns a chart render (a *manifests.Rendered) into one of the four install
// methods of Talos's guide to Cilium, for the cluster a config.Cluster describes:
//
//  1. [Helm]: `helm install` after bootstrap; a values file and the commands.
//  2. [Template]: the `helm template` output applied with kubectl after bootstrap.
//  3. [Hosted]: the manifest served from a URL that Talos fetches (CNI "custom"); a manifest
//     with Secrets or private keys is refused with a [*SecretsError] unless
//     HostedOptions.AllowSecrets.
//  4. [Inline]: the manifest inside the control-plane configs (an inline manifest), with a
//     size report against the limits of Talos and cloud user data.
//
// Every method returns its config patches as config.Layers, by role: for every node no CNI
// (or the custom CNI URL) and, when the cluster disables kube-proxy, kube-proxy disabled; for
// control planes the inline manifest. Apply them with config.Configs.Patch.
//
// The cluster description is the one place where the cluster's settings are stated:
// [CiliumOptions] and [RenderCilium] take the Kubernetes version, kube-proxy and the API
// server address Cilium needs without kube-proxy (KubePrism, or the endpoint where the
// contract has no KubePrism) from it, and every method refuses a render that does not fit it
// (another Kubernetes version, kube-proxy disabled but not replaced, a CNI setting the method
// contradicts) with [ErrInconsistentSettings].
//
// For example, Cilium inline for a cluster without kube-proxy:
//
//	c.KubeProxyDisabled = true // stated once, in the cluster description
//	r, err := install.RenderCilium(manifests.NewRenderer(ch), c, manifests.CiliumOptions{CertificatesInCluster: true}, manifests.RenderOptions{})
//	if err != nil {
//		return err
//	}
//	in, err := install.Inline(c, r, install.InlineOptions{})
//	if err != nil {
//		return err
//	}
//	cfgs, err := config.Generate(c, secrets)
//	if err != nil {
//		return err
//	}
//	cfgs, err = cfgs.Patch(in.Layers) // the inline manifest reaches the control planes only
//
// [CheckInlineManifests] checks that a set of control-plane configs carries identical inline
// manifests, as Talos requires; [CheckSizes] measures a manifest and its config.
package install
