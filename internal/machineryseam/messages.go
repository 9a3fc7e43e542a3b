package machineryseam

import (
	"errors"
	"regexp"
	"strings"
	"sync"

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
	re   *lazyRE
	doc  string
	path string
}

// machinerySpecificPaths name the field of messages whose wording is misleading or shared
// between documents (the legacy KubeSpan fields and the KubeSpanConfig document).
var machinerySpecificPaths = []machineryPath{
	{lazyRegexp(`^\.cluster\.discovery should be enabled`), "v1alpha1", "cluster.discovery.enabled"},
	{lazyRegexp(`^cluster ID \(\.cluster\.id or DiscoveryIdentityConfig\) should be set`), "v1alpha1", "cluster.id"},
	{lazyRegexp(`^cluster secret \(\.cluster\.secret or DiscoveryIdentityConfig\) should be set`), "v1alpha1", "cluster.secret"},
	{lazyRegexp(`^hostDNS config is required in container mode`), "v1alpha1", "machine.features.hostDNS"},
	{lazyRegexp(`^kubespan link MTU`), "v1alpha1", "machine.network.kubespan.mtu"},
	{lazyRegexp(`^KubeSpan endpoint filter`), "v1alpha1", "machine.network.kubespan.filters.endpoints"},
	{lazyRegexp(`^KubeSpan exclude advertised networks filter`), "v1alpha1", "machine.network.kubespan.filters.excludeAdvertisedNetworks"},
	{lazyRegexp(`^kubespan link MTU`), "KubeSpanConfig", "mtu"},
	{lazyRegexp(`^KubeSpan endpoint filter`), "KubeSpanConfig", "filters.endpoints"},
	{lazyRegexp(`^KubeSpan exclude advertised networks filter`), "KubeSpanConfig", "filters.excludeAdvertisedNetworks"},
}

// machineryV1Alpha1Paths map v1alpha1 messages that do not name their field.
var machineryV1Alpha1Paths = []machineryPath{
	{lazyRegexp(`invalid controlplane endpoint|cluster controlplane endpoint is required`), "v1alpha1", "cluster.controlPlane.endpoint"},
	{lazyRegexp(`^"urls" field`), "v1alpha1", "cluster.network.cni.urls"},
	{lazyRegexp(`flanneldExtraArgs`), "v1alpha1", "cluster.network.cni.flannel.extraArgs"},
	{lazyRegexp(`flannelKubeNetworkPoliciesEnabled`), "v1alpha1", "cluster.network.cni.flannel.kubeNetworkPoliciesEnabled"},
	{lazyRegexp(`either install disk or diskSelector|install disk selector`), "v1alpha1", "machine.install.disk"},
	{lazyRegexp(`install instructions are required`), "v1alpha1", "machine.install"},
	{lazyRegexp(`is not a valid DNS name`), "v1alpha1", "cluster.network.dnsDomain"},
	{lazyRegexp(`(?i)inline manifest`), "v1alpha1", "cluster.inlineManifests"},
	{lazyRegexp(`(?i)discovery`), "v1alpha1", "cluster.discovery"},
	{lazyRegexp(`(?i)kubespan`), "v1alpha1", "machine.network.kubespan"},
	{lazyRegexp(`(?i)etcd`), "v1alpha1", "cluster.etcd"},
	{lazyRegexp(`(?i)pod subnet|podSubnets`), "v1alpha1", "cluster.network.podSubnets"},
	{lazyRegexp(`(?i)service subnet|serviceSubnets`), "v1alpha1", "cluster.network.serviceSubnets"},
}

// conflict is one of machinery v1.14's messages for a v1alpha1 field beside the document that
// replaced it: the v1alpha1 field, the document to use and the recipe that writes it.
type conflict struct {
	re       *lazyRE
	path     string // RFC 6901 pointer in v1alpha1
	document string
	recipe   string
}

// v114Conflicts: the exact texts of machinery v1.14.1 (config/types/k8s, network, cluster).
var v114Conflicts = []conflict{
	{lazyRegexp(`^cluster network config (is already set in the|in) v1alpha1 config \(\.machine\.cluster\.network\)`), "/cluster/network", "KubeNetworkConfig (subnets, DNS domain) and KubeFlannelCNIConfig (CNI)", "patches.CNINone or patches.CNICustom for the CNI, config.Cluster's subnets"},
	{lazyRegexp(`^cluster proxy config in v1alpha1 config`), "/cluster/proxy", "KubeProxyConfig", "patches.KubeProxyDisabled"},
	{lazyRegexp(`^discovery service is already configured in \.cluster\.discovery`), "/cluster/discovery", "DiscoveryServiceConfig", "patches.ClusterDiscovery"},
	{lazyRegexp(`^cluster identity is already configured in \.cluster\.id`), "/cluster/id", "DiscoveryIdentityConfig", "patches.ClusterIdentity"},
	{lazyRegexp(`^KubePrism config in v1alpha1 config`), "/machine/features/kubePrism", "KubePrismConfig", "patches.KubePrism"},
	{lazyRegexp(`^kubespan is already configured in v1alpha1`), "/machine/network/kubespan", "KubeSpanConfig", "sections.KubeSpanSections"},
	{lazyRegexp(`^\.machine\.nodeLabels is already set`), "/machine/nodeLabels", "KubeNodeConfig (labels)", "config.NodeSettings.Labels"},
	{lazyRegexp(`^\.machine\.nodeAnnotations is already set`), "/machine/nodeAnnotations", "KubeNodeConfig (annotations)", "config.NodeSettings.Annotations"},
	{lazyRegexp(`^\.machine\.nodeTaints is already set`), "/machine/nodeTaints", "KubeNodeConfig (taints)", "config.NodeSettings.Taints"},
	{lazyRegexp(`^static hostname is already set in v1alpha1`), "/machine/network/hostname", "HostnameConfig (hostname, with auto off)", "config.NodeSettings.Hostname"},
	{lazyRegexp(`^stable hostname is already set in v1alpha1`), "/machine/features/stableHostname", "HostnameConfig (auto: stable)", "nothing: generated configs already have it"},
	{lazyRegexp(`^kube-apiserver config is already set in v1alpha1 config`), "/cluster/apiServer", "KubeAPIServerConfig", "a strategic patch of the KubeAPIServerConfig document"},
	{lazyRegexp(`^cluster endpoint is already set in the v1alpha1 config`), "/cluster/controlPlane/endpoint", "KubeClusterConfig", "config.Cluster.Endpoint"},
	{lazyRegexp(`^cluster name is already set in the v1alpha1 config`), "/cluster/clusterName", "KubeClusterConfig", "config.Cluster.Name"},
}

// controlPlaneOnlyRE is machinery's message for control-plane-only documents in a worker config.
var controlPlaneOnlyRE = lazyRegexp(`the following document kinds are only allowed on control plane machines: \[([^\]]*)\]`)

// pathInMessage finds a field path machinery writes in parentheses: "(.machine.features.hostDNS)".
var pathInMessage = lazyRegexp(`\(\.?([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z0-9\[\]]+)+)[,)]`)

// dottedPathInMessage finds a field path machinery writes inline: "requires .cluster.id".
var dottedPathInMessage = lazyRegexp(`(?:^|\s)\.((?:cluster|machine)(?:\.[A-Za-z0-9]+)+)`)

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

	if m := controlPlaneOnlyRE.get().FindStringSubmatch(msg); m != nil {
		var out []Message

		for kind := range strings.FieldsSeq(m[1]) {
			out = append(out, Message{Document: talos.Document{Kind: kind}, Err: err, ControlPlaneOnly: true})
		}

		return out
	}

	if doc.IsZero() {
		for _, c := range v114Conflicts {
			if c.re.get().MatchString(msg) {
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
	if m := pathInMessage.get().FindStringSubmatch(msg); m != nil {
		return m[1]
	}

	if doc != "v1alpha1" {
		return "" // the patterns below name v1alpha1 fields
	}

	if m := dottedPathInMessage.get().FindStringSubmatch(msg); m != nil {
		return m[1]
	}

	return matchPath(machineryV1Alpha1Paths, doc, msg)
}

func matchPath(table []machineryPath, doc, msg string) string {
	for _, mp := range table {
		if mp.doc == doc && mp.re.get().MatchString(msg) {
			return mp.path
		}
	}

	return ""
}

// lazyRE is a regular expression compiled on first use: the tables above hold about fifty,
// and compiling them at package initialisation cost every program that links config (a
// Terraform provider starts three times per plan) a millisecond before main.
type lazyRE struct {
	once    sync.Once
	pattern string
	re      *regexp.Regexp
}

func lazyRegexp(pattern string) *lazyRE { return &lazyRE{pattern: pattern} }

func (l *lazyRE) get() *regexp.Regexp {
	l.once.Do(func() { l.re = regexp.MustCompile(l.pattern) })

	return l.re
}
