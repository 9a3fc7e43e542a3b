package patches

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/talospatch/talospatch/talos"
)

// The guide's recipes. Those that take a contract return a Patch in the form
// talosctl accepts for it (see formFor), so p.String() is the --config-patch
// text to use with that Talos version; the others are strategic merge patches
// on every contract. Apply accepts every form on every contract. The zero
// contract is an error.

// CNINone returns the patch that turns off Talos's default CNI (flannel), so a
// CNI such as Cilium can be installed: on contracts before v1.12 the guide's
// [{"op":"add","path":"/cluster/network/cni","value":{"name":"none"}}]; on v1.14
// the deletion of the KubeFlannelCNIConfig document (for all nodes: only control
// planes have it, and deleting an absent document changes nothing).
func CNINone(contract talos.Contract) (Patch, error) {
	if err := checkContract("cni none", contract); err != nil {
		return Patch{}, err
	}

	if documentForm(contract, talos.SettingCNI) {
		return mustStrategic(yamlText("", deleteFlannel())), nil
	}

	return recipe(contract,
		[]Operation{Add("/cluster/network/cni", jsonObject{{"name", "none"}})},
		ymap("cluster", ymap("network", ymap("cni", ymap("name", "none")))),
	), nil
}

// CNICustom returns the patch that installs a custom CNI from manifest URLs
// (applied by Talos at bootstrap). It needs at least one absolute http(s) URL.
// On v1.14 it is a control-plane patch: the flannel document deleted and one
// KubeExternalManifestConfig per URL, named as config.Generate names them
// ([CustomCNIName]); since Talos 1.14 these manifests are applied with the other
// extra manifests, no longer first.
// On a config that already lists CNI URLs, the RFC 6902 form replaces the whole
// cni section; the strategic form (with ReplaceByNameDirective) adds the URLs
// it does not list yet, so applying it twice changes nothing.
func CNICustom(contract talos.Contract, urls ...string) (Patch, error) {
	if err := checkContract("cni custom", contract); err != nil {
		return Patch{}, err
	}

	if len(urls) == 0 {
		return Patch{}, fmt.Errorf("cni custom: %w: at least one manifest URL is needed", ErrInvalidArgument)
	}

	list := make([]any, 0, len(urls))

	for _, u := range urls {
		if err := checkURL(u); err != nil {
			return Patch{}, fmt.Errorf("cni custom: %w", err)
		}

		list = append(list, u)
	}

	if documentForm(contract, talos.SettingCNI) {
		docs := []*yaml.Node{deleteFlannel()}
		for i, u := range urls {
			docs = append(docs, externalManifest(CustomCNIName(i), u))
		}

		return mustScope(mustStrategic(yamlText("", docs...)), ScopeControlPlane), nil
	}

	return recipe(contract,
		[]Operation{Add("/cluster/network/cni", jsonObject{{"name", "custom"}, {"urls", urls}})},
		ymap("cluster", ymap("network", ymap("cni", ymap("name", "custom", "urls", yseq(list...))))),
	).withDirective(), nil
}

// KubeProxyDisabled returns the patch that disables kube-proxy (for a CNI that
// replaces it): before v1.12 the guide's
// [{"op":"add","path":"/cluster/proxy","value":{"disabled":true}}]; on v1.14 the
// KubeProxyConfig document with "enabled: false", a control-plane patch (the
// document is control-plane only; deleting it would not disable kube-proxy).
func KubeProxyDisabled(contract talos.Contract) (Patch, error) {
	if err := checkContract("kube-proxy disabled", contract); err != nil {
		return Patch{}, err
	}

	if documentForm(contract, talos.SettingKubeProxy) {
		return mustScope(mustStrategic(yamlText("", proxyDisabled())), ScopeControlPlane), nil
	}

	return recipe(contract,
		[]Operation{Add("/cluster/proxy", jsonObject{{"disabled", true}})},
		ymap("cluster", ymap("proxy", ymap("disabled", true))),
	), nil
}

// StrictMode returns the guide's patch for Cilium's kube-proxy replacement
// ("strict" mode in the guide's Cilium 1.11): no CNI and no kube-proxy, in one
// patch; on v1.14 a control-plane patch of the two documents.
func StrictMode(contract talos.Contract) (Patch, error) {
	if err := checkContract("strict mode", contract); err != nil {
		return Patch{}, err
	}

	if documentForm(contract, talos.SettingKubeProxy) {
		// Both documents exist only on control planes: nothing is left for workers.
		return mustScope(mustStrategic(yamlText("", deleteFlannel(), proxyDisabled())), ScopeControlPlane), nil
	}

	return recipe(contract,
		[]Operation{
			Add("/cluster/network/cni", jsonObject{{"name", "none"}}),
			Add("/cluster/proxy", jsonObject{{"disabled", true}}),
		},
		ymap("cluster", ymap(
			"network", ymap("cni", ymap("name", "none")),
			"proxy", ymap("disabled", true),
		)),
	), nil
}

// ExtraManifests returns the patch that adds manifest URLs Talos applies at
// bootstrap, each once. It needs at least one absolute http(s) URL.
//
// Up to v1.13 it is a strategic merge patch of cluster.extraManifests: Apply drops
// the same URLs from the config first (the patch starts with
// ReplaceByNameDirective), so applying it twice changes nothing. On v1.14 it is a
// control-plane patch of one KubeExternalManifestConfig document per URL, named
// [ExtraManifestName] (with "-2", "-3", ... when two URLs give the same name);
// documents merge by name, so applying it twice changes nothing either.
func ExtraManifests(contract talos.Contract, urls ...string) (Patch, error) {
	if err := checkContract("extra manifests", contract); err != nil {
		return Patch{}, err
	}

	if len(urls) == 0 {
		return Patch{}, fmt.Errorf("extra manifests: %w: at least one URL is needed", ErrInvalidArgument)
	}

	list := make([]string, 0, len(urls))
	seen := make(map[string]bool, len(urls))

	for _, u := range urls {
		if err := checkURL(u); err != nil {
			return Patch{}, fmt.Errorf("extra manifests: %w", err)
		}

		if !seen[u] {
			seen[u] = true
			list = append(list, u)
		}
	}

	if documentForm(contract, talos.SettingExtraManifests) {
		docs := make([]*yaml.Node, 0, len(list))
		names := map[string]int{}

		for _, u := range list {
			name := ExtraManifestName(u)

			names[name]++
			if n := names[name]; n > 1 {
				name += "-" + strconv.Itoa(n)
			}

			docs = append(docs, externalManifest(name, u))
		}

		return mustScope(mustStrategic(yamlText("", docs...)), ScopeControlPlane), nil
	}

	items := make([]any, 0, len(list))
	for _, u := range list {
		items = append(items, u)
	}

	return mustStrategic(yamlText(ReplaceByNameDirective, ymap("cluster", ymap("extraManifests", yseq(items...))))), nil
}

// InlineManifest returns a strategic merge patch that sets the inline manifest
// name to contents: it inserts it, or replaces an inline manifest with the same
// name, so a config never carries the name twice (a plain strategic merge would
// append a duplicate, which fails validation). The name must be a DNS-1123
// subdomain (Talos applies it as manifest "99-<name>").
//
// Up to v1.13 it is cluster.inlineManifests, and the patch text starts with
// ReplaceByNameDirective: talosctl reads that line as a comment and inserts the
// manifest, which is right on the configs talosctl gen config produces (they
// have no inline manifests); Apply replaces by name on any config. On v1.14 it
// is a control-plane patch of KubeInlineManifestConfig documents, which merge by
// name; Apply also drops a cluster.inlineManifests entry of the same name (Talos
// accepts both forms and one silently overwrites the other at run time).
func InlineManifest(contract talos.Contract, name, contents string) (Patch, error) {
	return InlineManifests(contract, Manifest{Name: name, Contents: contents})
}

// Manifest is one inline manifest: a name and YAML contents.
type Manifest struct {
	// Name is the inline manifest name, a DNS-1123 subdomain; Talos applies it as manifest
	// "99-<name>".
	Name string
	// Contents is the manifest YAML (one or more Kubernetes objects).
	Contents string
}

// InlineManifests is InlineManifest for several manifests, in order. A later
// manifest with the same name replaces an earlier one. It fails with
// ErrEmptyPatch for no manifests and ErrInvalidArgument for a name that is not a
// DNS-1123 subdomain.
func InlineManifests(contract talos.Contract, ms ...Manifest) (Patch, error) {
	if err := checkContract("inline manifests", contract); err != nil {
		return Patch{}, err
	}

	if len(ms) == 0 {
		return Patch{}, fmt.Errorf("inline manifests: %w", ErrEmptyPatch)
	}

	document := documentForm(contract, talos.SettingInlineManifests)

	items := make([]*yaml.Node, 0, len(ms))
	seen := make(map[string]int, len(ms))

	for _, m := range ms {
		if errs := validation.IsDNS1123Subdomain(m.Name); len(errs) > 0 {
			return Patch{}, fmt.Errorf("inline manifests: %w: name %q is not a DNS-1123 subdomain: %s", ErrInvalidArgument, m.Name, strings.Join(errs, "; "))
		}

		item := ymap("name", m.Name, "contents", m.Contents)
		if document {
			item = ymap("apiVersion", "v1alpha1", "kind", "KubeInlineManifestConfig", "name", m.Name, "manifest", m.Contents)
		}

		if i, ok := seen[m.Name]; ok {
			items[i] = item

			continue
		}

		seen[m.Name] = len(items)
		items = append(items, item)
	}

	if document {
		return generatedStrategic(yamlText(ControlPlaneDirective, items...)), nil
	}

	seq := make([]any, 0, len(items))
	for _, it := range items {
		seq = append(seq, it)
	}

	return generatedStrategic(yamlText(ReplaceByNameDirective, ymap("cluster", ymap("inlineManifests", yseq(seq...))))), nil
}

// KubePrismOptions configures KubePrism, the local API server load balancer on
// every node. The zero value enables it on the default port.
type KubePrismOptions struct {
	// Disabled turns KubePrism off. Zero: enabled (the default since Talos v1.6).
	Disabled bool
	// Port is the local port. Zero means 7445, Talos's default.
	Port int
}

// DefaultKubePrismPort is Talos's KubePrism port.
const DefaultKubePrismPort = 7445

// KubePrism returns the patch that turns KubePrism on or off and sets its
// port. KubePrism exists from Talos v1.5; older contracts fail with
// ErrUnsupported. On v1.14 it is the KubePrismConfig document (off: the document
// deleted).
func KubePrism(contract talos.Contract, opts KubePrismOptions) (Patch, error) {
	if err := checkContract("kubeprism", contract, talos.SettingKubePrism); err != nil {
		return Patch{}, err
	}

	if documentForm(contract, talos.SettingKubePrism) {
		if opts.Disabled {
			if opts.Port != 0 {
				return Patch{}, fmt.Errorf("kubeprism: %w: port %d with KubePrism disabled", ErrInvalidArgument, opts.Port)
			}

			return mustStrategic(yamlText("", ymap("apiVersion", "v1alpha1", "kind", "KubePrismConfig", "$patch", "delete"))), nil
		}
	}

	port := opts.Port
	if port == 0 {
		port = DefaultKubePrismPort
	}

	if port < 1 || port > 65535 {
		return Patch{}, fmt.Errorf("kubeprism: %w: port %d out of range 1-65535", ErrInvalidArgument, opts.Port)
	}

	if documentForm(contract, talos.SettingKubePrism) {
		return mustStrategic(yamlText("", ymap("apiVersion", "v1alpha1", "kind", "KubePrismConfig", "port", port))), nil
	}

	return mustStrategic(yamlText("", ymap("machine", ymap("features", ymap("kubePrism", ymap("enabled", !opts.Disabled, "port", port)))))), nil
}

// Discovery configures cluster discovery (cluster.discovery), which KubeSpan
// needs. The zero value enables discovery with the discovery service only, the
// default of configs generated since Talos v1.5.
type Discovery struct {
	// Disabled turns discovery off. Zero: enabled.
	Disabled bool
	// KubernetesRegistry turns the Kubernetes registry on. Zero: off (it does
	// not work with Kubernetes 1.32 and later).
	KubernetesRegistry bool
	// ServiceRegistryDisabled turns the discovery service registry off. Zero: on.
	ServiceRegistryDisabled bool
	// ServiceEndpoint is the discovery service URL. "" keeps Talos's default,
	// https://discovery.talos.dev/.
	ServiceEndpoint string
	// Name names the discovery service on contract v1.14, where each
	// DiscoveryServiceConfig document is one service. "": "default", the one
	// generated configs have. Older contracts have only the default service.
	Name string
}

// DefaultDiscoveryName is the name of the discovery service generated configs
// have on v1.14; DefaultDiscoveryEndpoint its endpoint.
const (
	DefaultDiscoveryName     = "default"
	DefaultDiscoveryEndpoint = "https://discovery.talos.dev/"
)

// ClusterDiscovery returns the patch that sets cluster discovery. Every field
// of d is written, so the result does not depend on the config's previous
// discovery settings (apart from an endpoint when d has none). On v1.14 it is the
// DiscoveryServiceConfig document named d.Name ("default" when empty; several
// documents are several discovery services): disabled (or the service registry
// disabled) deletes it, and the Kubernetes registry, which exists only in the
// legacy cluster.discovery form, is an error.
func ClusterDiscovery(contract talos.Contract, d Discovery) (Patch, error) {
	if err := checkContract("cluster discovery", contract); err != nil {
		return Patch{}, err
	}

	if d.ServiceEndpoint != "" {
		if err := checkURL(d.ServiceEndpoint); err != nil {
			return Patch{}, fmt.Errorf("cluster discovery: %w", err)
		}
	}

	if documentForm(contract, talos.SettingDiscovery) {
		return discoveryDocument(d)
	}

	if d.Name != "" && d.Name != DefaultDiscoveryName {
		return Patch{}, fmt.Errorf("cluster discovery: %w: contract %s has one discovery service (cluster.discovery); named discovery services need v1.14", ErrUnsupported, contract)
	}

	service := jsonObject{{"disabled", d.ServiceRegistryDisabled}}
	serviceNode := ymap("disabled", d.ServiceRegistryDisabled)

	if d.ServiceEndpoint != "" {
		service = append(service, jsonMember{"endpoint", d.ServiceEndpoint})
		serviceNode = ymap("disabled", d.ServiceRegistryDisabled, "endpoint", d.ServiceEndpoint)
	}

	return recipeFor(contract, recipeDiscovery,
		[]Operation{Add("/cluster/discovery", jsonObject{
			{"enabled", !d.Disabled},
			{"registries", jsonObject{
				{"kubernetes", jsonObject{{"disabled", !d.KubernetesRegistry}}},
				{"service", service},
			}},
		})},
		ymap("cluster", ymap("discovery", ymap(
			"enabled", !d.Disabled,
			"registries", ymap(
				"kubernetes", ymap("disabled", !d.KubernetesRegistry),
				"service", serviceNode,
			),
		))),
	), nil
}

// ClusterIdentity returns the patch that sets cluster.id and cluster.secret,
// which clusters created before Talos v0.12 lack (discovery and KubeSpan need
// them); on v1.14 the DiscoveryIdentityConfig document. id is 32 bytes of
// base64 (URL-safe, as older Talos made them, or standard, as v1.14 makes them),
// secret 32 bytes in standard base64 (openssl rand -base64 32); this package
// never makes them up.
func ClusterIdentity(contract talos.Contract, id, secret string) (Patch, error) {
	if err := checkContract("cluster identity", contract); err != nil {
		return Patch{}, err
	}

	if err := check32(base64.URLEncoding, id); err != nil {
		if check32(base64.StdEncoding, id) != nil {
			return Patch{}, fmt.Errorf("cluster identity: id: %w", err)
		}
	}

	if err := check32(base64.StdEncoding, secret); err != nil {
		return Patch{}, fmt.Errorf("cluster identity: secret: %w", err)
	}

	if documentForm(contract, talos.SettingClusterIdentity) {
		return mustStrategic(yamlText("", ymap("apiVersion", "v1alpha1", "kind", "DiscoveryIdentityConfig", "clusterID", id, "clusterSecret", secret))), nil
	}

	return recipeFor(contract, recipeDiscovery,
		[]Operation{Add("/cluster/id", id), Add("/cluster/secret", secret)},
		ymap("cluster", ymap("id", id, "secret", secret)),
	), nil
}

func check32(enc *base64.Encoding, s string) error {
	b, err := enc.DecodeString(s)
	if err != nil {
		return fmt.Errorf("%w: not base64: %w", ErrInvalidArgument, err)
	}

	if len(b) != 32 {
		return fmt.Errorf("%w: %d bytes, want 32", ErrInvalidArgument, len(b))
	}

	return nil
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%w: URL %q: %w", ErrInvalidArgument, s, err)
	}

	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: URL %q is not an absolute http(s) URL", ErrInvalidArgument, s)
	}

	return nil
}

// recipe builds a guide recipe in the form for the contract.
func recipe(contract talos.Contract, ops []Operation, doc *yaml.Node) Patch {
	return recipeFor(contract, recipeGuide, ops, doc)
}

func recipeFor(contract talos.Contract, kind recipeKind, ops []Operation, doc *yaml.Node) Patch {
	if formFor(contract, kind) == KindJSON6902 {
		p, err := Ops(ops...)
		if err != nil {
			panic(fmt.Sprintf("patches: recipe produced invalid operations: %v", err)) // unreachable
		}

		return p
	}

	return mustStrategic(yamlText("", doc))
}

// withDirective prefixes a strategic merge patch with ReplaceByNameDirective.
func (p Patch) withDirective() Patch {
	if p.kind != KindStrategic || hasReplaceByName(p.text) {
		return p
	}

	return mustStrategic(ReplaceByNameDirective + "\n" + p.text)
}

// jsonObject is an ordered JSON object, so recipe values print in a fixed,
// readable member order.
type jsonObject []jsonMember

type jsonMember struct {
	Key   string
	Value any
}

// MarshalJSON implements json.Marshaler.
func (o jsonObject) MarshalJSON() ([]byte, error) {
	buf := []byte("{")

	for i, m := range o {
		if i > 0 {
			buf = append(buf, ',')
		}

		buf = append(buf, jsonString(m.Key)...)
		buf = append(buf, ':')

		v, err := marshalValue(m.Value)
		if err != nil {
			return nil, err
		}

		buf = append(buf, v...)
	}

	return append(buf, '}'), nil
}
