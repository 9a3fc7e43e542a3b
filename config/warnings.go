package config

import (
	"fmt"

	"github.com/talospatch/talospatch/talos"
)

// Warnings returns what is valid but probably not meant, as values with paths, in a fixed
// order:
//
//   - a Kubernetes version outside the range the contract's Talos release supports, accepted
//     because AllowUnsupportedKubernetes is set;
//   - kube-proxy disabled while flannel (the default CNI) is deployed: flannel does not replace
//     kube-proxy, so Services stop working.
//
// It never fails: fields that [Cluster.Validate] rejects are skipped here. [Generate] returns
// the same warnings in [Configs].Warnings.
func (c Cluster) Warnings() []talos.Warning {
	var warnings []talos.Warning

	if r := c.Contract.Kubernetes(); r.Default != "" && c.AllowUnsupportedKubernetes {
		if _, err := talos.ParseKubernetesVersion(c.KubernetesVersion); err == nil && !r.Contains(c.KubernetesVersion) {
			warnings = append(warnings, talos.Warning{
				Path:    "/kubernetesVersion",
				Message: fmt.Sprintf("Kubernetes %s is outside what Talos %s supports (%s); allowed by allowUnsupportedKubernetes", c.KubernetesVersion, c.Contract, r),
			})
		}
	}

	if c.KubeProxyDisabled && (c.CNI.Name == CNIDefault || c.CNI.Name == CNIFlannel) {
		warnings = append(warnings, talos.Warning{
			Path:    "/kubeProxyDisabled",
			Message: "flannel does not replace kube-proxy; use cni none with a CNI that does (Cilium), or keep kube-proxy",
		})
	}

	return warnings
}
