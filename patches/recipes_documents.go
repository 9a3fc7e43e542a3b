package patches

import (
	"fmt"
	"net/url"
	"path"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation"
)

// The documents of the recipes on contract v1.14, where the guide's settings are typed
// documents (the config/types packages of machinery v1.14.1).

// CustomCNIName names the KubeExternalManifestConfig document of the i-th custom CNI URL on
// v1.14: "custom-cni" (the name talosctl gen config gives the one URL it takes), then
// "custom-cni-2", "custom-cni-3", ...
func CustomCNIName(i int) string {
	if i == 0 {
		return "custom-cni"
	}

	return "custom-cni-" + strconv.Itoa(i+1)
}

func deleteFlannel() *yaml.Node {
	return ymap("apiVersion", "v1alpha1", "kind", "KubeFlannelCNIConfig", "$patch", "delete")
}

func proxyDisabled() *yaml.Node {
	return ymap("apiVersion", "v1alpha1", "kind", "KubeProxyConfig", "enabled", false)
}

func externalManifest(name, u string) *yaml.Node {
	return ymap("apiVersion", "v1alpha1", "kind", "KubeExternalManifestConfig", "name", name, "url", u)
}

// discoveryDocument is ClusterDiscovery on v1.14: one DiscoveryServiceConfig document.
func discoveryDocument(d Discovery) (Patch, error) {
	name := d.Name
	if name == "" {
		name = DefaultDiscoveryName
	}

	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return Patch{}, fmt.Errorf("cluster discovery: %w: name %q: %s", ErrInvalidArgument, name, strings.Join(errs, "; "))
	}

	if d.KubernetesRegistry {
		return Patch{}, fmt.Errorf("cluster discovery: %w: the Kubernetes registry exists only in the legacy cluster.discovery form (contracts up to v1.13; it does not work with Kubernetes 1.32+): on v1.14 discovery is the DiscoveryServiceConfig documents", ErrUnsupported)
	}

	if d.Disabled || d.ServiceRegistryDisabled {
		return mustStrategic(yamlText("", ymap("apiVersion", "v1alpha1", "kind", "DiscoveryServiceConfig", "name", name, "$patch", "delete"))), nil
	}

	endpoint := d.ServiceEndpoint
	if endpoint == "" {
		endpoint = DefaultDiscoveryEndpoint
	}

	return mustStrategic(yamlText("", ymap("apiVersion", "v1alpha1", "kind", "DiscoveryServiceConfig", "name", name, "endpoint", endpoint))), nil
}

// ExtraManifestName names the KubeExternalManifestConfig document of an extra manifest URL on
// v1.14: the URL's file name, lowercased, with what a DNS-1123 subdomain does not allow replaced
// by "-" ("https://example.com/Cilium_1.yaml" -> "cilium-1.yaml"); "extra-manifest" when nothing
// is left.
func ExtraManifestName(u string) string {
	base := u
	if parsed, err := url.Parse(u); err == nil {
		base = path.Base(parsed.Path)
	}

	var b strings.Builder

	for _, r := range strings.ToLower(base) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}

	name := strings.Trim(b.String(), ".-")
	if len(name) > 200 {
		name = strings.Trim(name[:200], ".-")
	}

	if name == "" || validation.IsDNS1123Subdomain(name) != nil {
		return "extra-manifest"
	}

	return name
}
