package machineryseam

import (
	"errors"
	"regexp"
	"strings"

	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/types/v1alpha1"

	"github.com/talospatch/talospatch/talos"
)

// Message is one of machinery's validation problems, mapped to the document and field it is
// about. This table of machinery's messages is the part of the library that reads machinery's
// wording; a new machinery release is checked here.
type Message struct {
	// Document is the document the problem is in (the v1alpha1 document for cross-document
	// checks).
	Document talos.Document
	// Path is the RFC 6901 pointer of the field in Document; "" when the message names none.
	Path string
	// Err is machinery's error.
	Err error
	// ControlPlaneOnly: Document (its kind) is allowed on control planes only and was found
	// in a worker config.
	ControlPlaneOnly bool
	// Replacement and Recipe: the v1alpha1 field at Path is set beside the v1.14 document
	// that replaced it (Replacement); Recipe names what writes that document.
	Replacement, Recipe string
}

// v1Doc is the v1alpha1 document.
var v1Doc = talos.Document{Kind: talos.KindV1Alpha1}

// machineryPath maps one of machinery's validation messages to the field it is about, inside
// a document: doc is "v1alpha1" or a document kind, path a dotted path that becomes an RFC 6901
// pointer. The specific entries come first and win over a path the message mentions
// (".cluster.discovery should be enabled when .machine.network.kubespan is enabled" is about
// cluster.discovery.enabled).
type machineryPath struct {
	re   *regexp.Regexp
	doc  string
	path string
}

// machinerySpecificPaths name the field of messages whose wording is misleading or shared
// between documents (the legacy KubeSpan fields and the KubeSpanConfig document).
var machinerySpecificPaths = []machineryPath{
	{regexp.MustCompile(`^\.cluster\.discovery should be enabled`), "v1alpha1", "cluster.discovery.enabled"},
	{regexp.MustCompile(`^cluster ID \(\.cluster\.id or DiscoveryIdentityConfig\) should be set`), "v1alpha1", "cluster.id"},
	{regexp.MustCompile(`^cluster secret \(\.cluster\.secret or DiscoveryIdentityConfig\) should be set`), "v1alpha1", "cluster.secret"},
	{regexp.MustCompile(`^hostDNS config is required in container mode`), "v1alpha1", "machine.features.hostDNS"},
	{regexp.MustCompile(`^kubespan link MTU`), "v1alpha1", "machine.network.kubespan.mtu"},
	{regexp.MustCompile(`^KubeSpan endpoint filter`), "v1alpha1", "machine.network.kubespan.filters.endpoints"},
	{regexp.MustCompile(`^KubeSpan exclude advertised networks filter`), "v1alpha1", "machine.network.kubespan.filters.excludeAdvertisedNetworks"},
	{regexp.MustCompile(`^kubespan link MTU`), "KubeSpanConfig", "mtu"},
	{regexp.MustCompile(`^KubeSpan endpoint filter`), "KubeSpanConfig", "filters.endpoints"},
	{regexp.MustCompile(`^KubeSpan exclude advertised networks filter`), "KubeSpanConfig", "filters.excludeAdvertisedNetworks"},
}

// machineryV1Alpha1Paths map v1alpha1 messages that do not name their field.
var machineryV1Alpha1Paths = []machineryPath{
	{regexp.MustCompile(`invalid controlplane endpoint|cluster controlplane endpoint is required`), "v1alpha1", "cluster.controlPlane.endpoint"},
	{regexp.MustCompile(`^"urls" field`), "v1alpha1", "cluster.network.cni.urls"},
	{regexp.MustCompile(`flanneldExtraArgs`), "v1alpha1", "cluster.network.cni.flannel.extraArgs"},
	{regexp.MustCompile(`flannelKubeNetworkPoliciesEnabled`), "v1alpha1", "cluster.network.cni.flannel.kubeNetworkPoliciesEnabled"},
	{regexp.MustCompile(`either install disk or diskSelector|install disk selector`), "v1alpha1", "machine.install.disk"},
	{regexp.MustCompile(`install instructions are required`), "v1alpha1", "machine.install"},
	{regexp.MustCompile(`is not a valid DNS name`), "v1alpha1", "cluster.network.dnsDomain"},
	{regexp.MustCompile(`(?i)inline manifest`), "v1alpha1", "cluster.inlineManifests"},
	{regexp.MustCompile(`(?i)discovery`), "v1alpha1", "cluster.discovery"},
	{regexp.MustCompile(`(?i)kubespan`), "v1alpha1", "machine.network.kubespan"},
	{regexp.MustCompile(`(?i)etcd`), "v1alpha1", "cluster.etcd"},
	{regexp.MustCompile(`(?i)pod subnet|podSubnets`), "v1alpha1", "cluster.network.podSubnets"},
	{regexp.MustCompile(`(?i)service subnet|serviceSubnets`), "v1alpha1", "cluster.network.serviceSubnets"},
}

// conflict is one of machinery v1.14's messages for a v1alpha1 field beside the document that
// replaced it: the v1alpha1 field, the document to use and the recipe that writes it.
type conflict struct {
	re       *regexp.Regexp
	path     string // RFC 6901 pointer in v1alpha1
	document string
	recipe   string
}

// v114Conflicts: the exact texts of machinery v1.14.1 (config/types/k8s, network, cluster).
var v114Conflicts = []conflict{
	{regexp.MustCompile(`^cluster network config (is already set in the|in) v1alpha1 config \(\.machine\.cluster\.network\)`), "/cluster/network", "KubeNetworkConfig (subnets, DNS domain) and KubeFlannelCNIConfig (CNI)", "patches.CNINone or patches.CNICustom for the CNI, config.Cluster's subnets"},
	{regexp.MustCompile(`^cluster proxy config in v1alpha1 config`), "/cluster/proxy", "KubeProxyConfig", "patches.KubeProxyDisabled"},
	{regexp.MustCompile(`^discovery service is already configured in \.cluster\.discovery`), "/cluster/discovery", "DiscoveryServiceConfig", "patches.ClusterDiscovery"},
	{regexp.MustCompile(`^cluster identity is already configured in \.cluster\.id`), "/cluster/id", "DiscoveryIdentityConfig", "patches.ClusterIdentity"},
	{regexp.MustCompile(`^KubePrism config in v1alpha1 config`), "/machine/features/kubePrism", "KubePrismConfig", "patches.KubePrism"},
	{regexp.MustCompile(`^kubespan is already configured in v1alpha1`), "/machine/network/kubespan", "KubeSpanConfig", "sections.KubeSpanSections"},
	{regexp.MustCompile(`^\.machine\.nodeLabels is already set`), "/machine/nodeLabels", "KubeNodeConfig (labels)", "config.NodeSettings.Labels"},
	{regexp.MustCompile(`^\.machine\.nodeAnnotations is already set`), "/machine/nodeAnnotations", "KubeNodeConfig (annotations)", "config.NodeSettings.Annotations"},
	{regexp.MustCompile(`^\.machine\.nodeTaints is already set`), "/machine/nodeTaints", "KubeNodeConfig (taints)", "config.NodeSettings.Taints"},
	{regexp.MustCompile(`^static hostname is already set in v1alpha1`), "/machine/network/hostname", "HostnameConfig (hostname, with auto off)", "config.NodeSettings.Hostname"},
	{regexp.MustCompile(`^stable hostname is already set in v1alpha1`), "/machine/features/stableHostname", "HostnameConfig (auto: stable)", "nothing: generated configs already have it"},
	{regexp.MustCompile(`^kube-apiserver config is already set in v1alpha1 config`), "/cluster/apiServer", "KubeAPIServerConfig", "a strategic patch of the KubeAPIServerConfig document"},
	{regexp.MustCompile(`^cluster endpoint is already set in the v1alpha1 config`), "/cluster/controlPlane/endpoint", "KubeClusterConfig", "config.Cluster.Endpoint"},
	{regexp.MustCompile(`^cluster name is already set in the v1alpha1 config`), "/cluster/clusterName", "KubeClusterConfig", "config.Cluster.Name"},
}

// controlPlaneOnlyRE is machinery's message for control-plane-only documents in a worker config.
var controlPlaneOnlyRE = regexp.MustCompile(`the following document kinds are only allowed on control plane machines: \[([^\]]*)\]`)

// pathInMessage finds a field path machinery writes in parentheses: "(.machine.features.hostDNS)".
var pathInMessage = regexp.MustCompile(`\(\.?([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z0-9\[\]]+)+)[,)]`)

// dottedPathInMessage finds a field path machinery writes inline: "requires .cluster.id".
var dottedPathInMessage = regexp.MustCompile(`(?:^|\s)\.((?:cluster|machine)(?:\.[A-Za-z0-9]+)+)`)

// Messages turns machinery's validation error into one Message per problem. machinery returns a multierror of per-document errors, "v1alpha1.Config: " or
// "Kind[/name]: " wrapping a multierror or an errors.Join of the document's problems; the
// cross-document checks come without a prefix and are about v1alpha1. Only the prefixes of
// cfg's own documents are taken for documents, so a message such as "invalid controlplane
// endpoint: ..." keeps its text.
func Messages(cfg coreconfig.Provider, err error) []Message {
	docs := map[string]talos.Document{"v1alpha1.Config": v1Doc}

	for _, d := range cfg.Documents() {
		if _, ok := d.(*v1alpha1.Config); ok {
			continue
		}

		ref := DocumentOf(d)
		id := ref.Kind

		if ref.Name != "" {
			id += "/" + ref.Name
		}

		docs[id] = ref
	}

	var out []Message

	var walk func(doc talos.Document, err error)

	walk = func(doc talos.Document, err error) {
		if err == nil {
			return
		}

		if list := multiErrors(err); list != nil {
			for _, e := range list {
				walk(doc, e)
			}

			return
		}

		if inner := errors.Unwrap(err); inner != nil && doc.IsZero() {
			if id, ok := strings.CutSuffix(err.Error(), ": "+inner.Error()); ok && !docs[id].IsZero() {
				walk(docs[id], inner)

				return
			}
		}

		out = append(out, messagesOf(doc, err)...)
	}

	walk(talos.Document{}, err)

	return out
}

// multiErrors returns the errors of a hashicorp multierror or an errors.Join, else nil.
func multiErrors(err error) []error {
	switch e := err.(type) { // the list itself, not a wrapped one
	case interface{ WrappedErrors() []error }:
		return e.WrappedErrors()
	case interface{ Unwrap() []error }:
		return e.Unwrap()
	}

	return nil
}

// messagesOf maps one machinery message of document doc (zero: a cross-document check).
func messagesOf(doc talos.Document, err error) []Message {
	msg := err.Error()

	if m := controlPlaneOnlyRE.FindStringSubmatch(msg); m != nil {
		var out []Message

		for kind := range strings.FieldsSeq(m[1]) {
			out = append(out, Message{Document: talos.Document{Kind: kind}, Err: err, ControlPlaneOnly: true})
		}

		return out
	}

	if doc.IsZero() {
		for _, c := range v114Conflicts {
			if c.re.MatchString(msg) {
				return []Message{{Document: v1Doc, Path: c.path, Err: err, Replacement: c.document, Recipe: c.recipe}}
			}
		}

		doc = v1Doc
	}

	path := matchPath(machinerySpecificPaths, doc.Kind, msg)
	if path == "" {
		path = pathOfMessage(doc.Kind, msg)
	}

	return []Message{{Document: doc, Path: talos.DottedPointer(path), Err: err}}
}

// pathOfMessage finds the field a message of document doc is about: a path written in the
// message, or for v1alpha1 one of machineryV1Alpha1Paths.
func pathOfMessage(doc, msg string) string {
	if m := pathInMessage.FindStringSubmatch(msg); m != nil {
		return m[1]
	}

	if doc != "v1alpha1" {
		return "" // the patterns below name v1alpha1 fields
	}

	if m := dottedPathInMessage.FindStringSubmatch(msg); m != nil {
		return m[1]
	}

	return matchPath(machineryV1Alpha1Paths, doc, msg)
}

func matchPath(table []machineryPath, doc, msg string) string {
	for _, mp := range table {
		if mp.doc == doc && mp.re.MatchString(msg) {
			return mp.path
		}
	}

	return ""
}
