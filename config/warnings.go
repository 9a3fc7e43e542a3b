package config

import (
	"fmt"

	machineapi "github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/compatibility"
)

// Warnings returns what is valid but probably not meant, as values, in a fixed order:
//
//   - a Kubernetes version that the Talos release of the contract does not support (per
//     machinery's compatibility tables, which start at Talos v1.2);
//   - kube-proxy disabled while flannel (the default CNI) is deployed: flannel does not replace
//     kube-proxy, so Services stop working.
//
// It never fails: fields that [Cluster.Validate] rejects are skipped here.
func (c Cluster) Warnings() []string {
	var warnings []string

	if contract, err := parseContract(c.Contract); err == nil && c.KubernetesVersion != "" && kubernetesVersionRE.MatchString(c.KubernetesVersion) {
		k8s, kerr := compatibility.ParseKubernetesVersion(c.kubernetesVersion())
		talos, terr := compatibility.ParseTalosVersion(&machineapi.VersionInfo{Tag: contract.String() + ".0"})

		if kerr == nil && terr == nil && contract.Greater(noCompatibilityTable) {
			if err := k8s.SupportedWith(talos); err != nil {
				warnings = append(warnings, fmt.Sprintf("kubernetesVersion: %v", err))
			}
		}
	}

	if c.KubeProxyDisabled && (c.CNI.Name == CNIDefault || c.CNI.Name == CNIFlannel) {
		warnings = append(warnings, "kubeProxyDisabled: flannel does not replace kube-proxy; use cni none with a CNI that does (Cilium), or keep kube-proxy")
	}

	return warnings
}
