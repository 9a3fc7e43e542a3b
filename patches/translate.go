package patches

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"net/url"
	"reflect"
	"slices"
	"strings"

	"github.com/siderolabs/talos/pkg/machinery/config"
	configconfig "github.com/siderolabs/talos/pkg/machinery/config/config"
	"github.com/siderolabs/talos/pkg/machinery/config/container"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"
	"github.com/siderolabs/talos/pkg/machinery/config/types/cluster"
	"github.com/siderolabs/talos/pkg/machinery/config/types/k8s"
	"github.com/siderolabs/talos/pkg/machinery/config/types/meta"
	"github.com/siderolabs/talos/pkg/machinery/config/types/network"
	"github.com/siderolabs/talos/pkg/machinery/config/types/v1alpha1"
	"github.com/siderolabs/talos/pkg/machinery/nethelpers"

	"github.com/talospatch/talospatch/talos"
)

// ErrUntranslatable: a patch sets a v1alpha1 field that the config's contract moved into a
// document, and the field has no equivalent there (or only a partial one): write the document
// instead. Errors carrying it are *talos.FieldError values naming the field and the document.
var ErrUntranslatable = errors.New("v1alpha1 setting has no equivalent in the contract's documents")

// Options are the optional settings of [ApplyWithOptions]. The zero value translates.
type Options struct {
	// NoTranslation applies v1alpha1 settings as written even where the config's contract
	// moved them into documents (the result then conflicts with those documents, as Talos's
	// validation says). False: they are translated (see [ApplyWithOptions]).
	NoTranslation bool
	// MaxGrowth bounds how much the patches of the call may grow the config, all
	// together, in bytes (see MaxApplyGrowth for how growth is counted); 0 (or
	// less) means MaxApplyGrowth.
	MaxGrowth int64
}

// ApplyWithOptions is [ApplyProvider] with options, returning the translations it made as
// warnings.
//
// On a config whose contract moved the guide's settings out of the v1alpha1 document (v1.14:
// the config has the Kube*Config documents), the v1alpha1 patches of the guide, blog posts and
// Terraform modules would conflict with the documents generation wrote, and talosctl refuses
// their RFC 6902 form. ApplyWithOptions applies them anyway (RFC 6902 to the v1alpha1 document,
// strategic merges as usual) and then moves each of these settings that a patch introduced into
// the document that replaced it, so the result validates and means what the patch meant:
//
//   - cluster.network.cni: none deletes KubeFlannelCNIConfig; custom also writes one
//     KubeExternalManifestConfig per URL (control planes); podSubnets, serviceSubnets and
//     dnsDomain go to KubeNetworkConfig;
//   - cluster.proxy (disabled, image, mode, extraArgs): KubeProxyConfig, control planes only;
//   - cluster.discovery: the DiscoveryServiceConfig "default" (deleted when off);
//   - cluster.id and cluster.secret: DiscoveryIdentityConfig;
//   - cluster.inlineManifests: KubeInlineManifestConfig; cluster.extraManifests:
//     KubeExternalManifestConfig (control planes);
//   - machine.features.kubePrism: KubePrismConfig (deleted when off);
//   - machine.network.kubespan: KubeSpanConfig;
//   - machine.nodeLabels, nodeAnnotations, nodeTaints: KubeNodeConfig;
//   - machine.network.hostname: HostnameConfig with auto off.
//
// Each translation is a warning: the v1alpha1 field read and the document written. A setting
// without an equivalent (the Kubernetes discovery registry, flannel's own settings) is an error
// matching ErrUntranslatable that names the document to write instead. Fields the config had
// before a patch are left alone (Validate reports their conflicts). With opts.NoTranslation the
// patches are applied as written. On older contracts nothing is translated.
func ApplyWithOptions(cfg config.Provider, opts Options, ps ...Patch) (config.Provider, []talos.Warning, error) {
	if cfg == nil {
		return nil, nil, fmt.Errorf("apply patches: %w: nil config", ErrInvalidConfig)
	}

	pp, err := prepare(ps, true)
	if err != nil {
		return nil, nil, err
	}

	return pp.ApplyWithOptions(cfg, opts)
}

// applyWithOptions is ApplyWithOptions of prepared patches.
func applyWithOptions(cfg config.Provider, opts Options, ps []prepared) (config.Provider, []talos.Warning, error) {
	if cfg == nil {
		return nil, nil, fmt.Errorf("apply patches: %w: nil config", ErrInvalidConfig)
	}

	g := newGrowth(opts.MaxGrowth)

	if opts.NoTranslation || !documentForm14(cfg) {
		out, err := applyProvider(cfg, g, ps)

		return out, nil, err
	}

	var warnings []talos.Warning

	cur := cfg

	for i := range ps {
		p := &ps[i]
		before := legacyFields(cur.RawV1Alpha1())

		in, scaffolded, err := scaffold(cur, p)
		if err != nil {
			return nil, nil, &Error{Patch: i, Kind: p.patch.kind, Op: -1, Err: err}
		}

		next, err := applyProvider(in, g, ps[i:i+1])
		if err != nil {
			var e *Error
			if errors.As(err, &e) {
				e.Patch = i
			}

			return nil, nil, err
		}

		next, ws, err := translate(next, before, scaffolded)
		if err != nil {
			return nil, nil, &Error{Patch: i, Kind: p.patch.kind, Op: -1, Err: err}
		}

		cur = next
		warnings = append(warnings, ws...)
	}

	return cur, warnings, nil
}

// documentForm14 reports whether cfg has the v1.14 documents (KubeClusterConfig is in every
// v1.14 config, control plane and worker).
func documentForm14(cfg config.Provider) bool {
	for _, d := range cfg.Documents() {
		if _, ok := d.(*k8s.KubeClusterConfigV1Alpha1); ok {
			return true
		}
	}

	return false
}

// scaffolds are the v1alpha1 sections an RFC 6902 patch of the guide adds into, which a v1.14
// config does not have: "add /cluster/network/cni" needs cluster.network to exist.
type scaffolds struct{ clusterNetwork, machineNetwork, machineFeatures bool }

// scaffold returns cur with the sections an RFC 6902 patch of the v1alpha1 document adds into,
// when cur lacks them; translate removes what stays empty.
func scaffold(cur config.Provider, p *prepared) (config.Provider, scaffolds, error) {
	var sc scaffolds

	if p.patch.kind != KindJSON6902 || p.target != (Document{}) || cur.RawV1Alpha1() == nil {
		return cur, sc, nil
	}

	v := cur.RawV1Alpha1()

	var needNetwork, needMachineNetwork, needFeatures bool

	for _, op := range p.ops {
		needNetwork = needNetwork || strings.HasPrefix(op.Path(), "/cluster/network/")
		needMachineNetwork = needMachineNetwork || strings.HasPrefix(op.Path(), "/machine/network/")
		needFeatures = needFeatures || strings.HasPrefix(op.Path(), "/machine/features/")
	}

	// the deprecated sections are what the guide's patches add into
	sc = scaffolds{
		clusterNetwork:  needNetwork && v.ClusterConfig != nil && v.ClusterConfig.ClusterNetwork == nil,
		machineNetwork:  needMachineNetwork && v.MachineConfig != nil && v.MachineConfig.MachineNetwork == nil,
		machineFeatures: needFeatures && v.MachineConfig != nil && v.MachineConfig.MachineFeatures == nil,
	}

	if sc == (scaffolds{}) {
		return cur, sc, nil
	}

	ctr, ok := cur.(*container.Container)
	if !ok {
		return cur, scaffolds{}, nil
	}

	out, err := ctr.PatchV1Alpha1(func(v *v1alpha1.Config) error {
		if sc.clusterNetwork {
			v.ClusterConfig.ClusterNetwork = &v1alpha1.ClusterNetworkConfig{}
		}

		if sc.machineNetwork {
			v.MachineConfig.MachineNetwork = &v1alpha1.NetworkConfig{}
		}

		if sc.machineFeatures {
			v.MachineConfig.MachineFeatures = &v1alpha1.FeaturesConfig{}
		}

		return nil
	})

	return out, sc, err
}

// dropEmptyScaffolds removes the scaffolded sections that are still empty.
func dropEmptyScaffolds(v *v1alpha1.Config, sc scaffolds) {
	// the deprecated sections are what the guide's patches add into
	if n := v.ClusterConfig; sc.clusterNetwork && n != nil && n.ClusterNetwork != nil && reflect.ValueOf(*n.ClusterNetwork).IsZero() {
		n.ClusterNetwork = nil
	}

	if m := v.MachineConfig; sc.machineNetwork && m != nil && m.MachineNetwork != nil && reflect.ValueOf(*m.MachineNetwork).IsZero() {
		m.MachineNetwork = nil
	}

	if m := v.MachineConfig; sc.machineFeatures && m != nil && m.MachineFeatures != nil && reflect.ValueOf(*m.MachineFeatures).IsZero() {
		m.MachineFeatures = nil
	}
}

// legacy identifies the v1alpha1 settings the translation moves.
type legacy int

const (
	legacyCNI legacy = iota
	legacyNetwork
	legacyProxy
	legacyDiscovery
	legacyIdentity
	legacyInline
	legacyExtra
	legacyKubePrism
	legacyKubeSpan
	legacyNode
	legacyHostname
)

// legacyFields returns which of the moved settings v sets.
func legacyFields(v *v1alpha1.Config) map[legacy]bool {
	set := map[legacy]bool{}
	if v == nil {
		return set
	}

	// the deprecated fields are what this reads
	if c := v.ClusterConfig; c != nil {
		if n := c.ClusterNetwork; n != nil {
			set[legacyCNI] = n.CNI != nil
			set[legacyNetwork] = n.DNSDomain != "" || len(n.PodSubnet) > 0 || len(n.ServiceSubnet) > 0
		}

		set[legacyProxy] = c.ProxyConfig != nil
		set[legacyDiscovery] = c.ClusterDiscoveryConfig != nil
		set[legacyIdentity] = c.ClusterID != "" || c.ClusterSecret != ""
		set[legacyInline] = len(c.ClusterInlineManifests) > 0
		set[legacyExtra] = len(c.ExtraManifests) > 0
	}

	// the deprecated fields are what this reads
	if m := v.MachineConfig; m != nil {
		if m.MachineFeatures != nil {
			set[legacyKubePrism] = m.MachineFeatures.KubePrismSupport != nil
		}

		if m.MachineNetwork != nil {
			set[legacyKubeSpan] = m.MachineNetwork.NetworkKubeSpan != nil
			set[legacyHostname] = m.MachineNetwork.NetworkHostname != ""
		}

		set[legacyNode] = len(m.MachineNodeLabels) > 0 || len(m.MachineNodeAnnotations) > 0 || len(m.MachineNodeTaints) > 0
	}

	return set
}

// translation is the state of one translation: the documents being rewritten, the role, the
// warnings.
type translation struct {
	docs         []configconfig.Document
	controlPlane bool
	warnings     []talos.Warning
}

var v1alpha1Document = talos.Document{Kind: talos.KindV1Alpha1}

func (t *translation) warn(path, format string, args ...any) {
	t.warnings = append(t.warnings, talos.Warning{Document: v1alpha1Document, Path: path,
		Message: "translated for contract v1.14: " + fmt.Sprintf(format, args...)})
}

func untranslatable(path, document, why string) error {
	return &talos.FieldError{Document: v1alpha1Document, Path: path, Err: fmt.Errorf("%w: %s", ErrUntranslatable, why),
		Fix: "write the " + document + " document instead (or pass Options.NoTranslation to keep the v1alpha1 field)"}
}

// find returns the first document of type T (and its index), optionally of a name.
func find[T configconfig.Document](t *translation, name string) (T, int) {
	for i, d := range t.docs {
		if doc, ok := d.(T); ok {
			if named, isNamed := d.(configconfig.NamedDocument); name == "" || isNamed && named.Name() == name {
				return doc, i
			}
		}
	}

	var zero T

	return zero, -1
}

// put replaces the document at index i, or appends d when i < 0.
func (t *translation) put(i int, d configconfig.Document) {
	if i < 0 {
		t.docs = append(t.docs, d)

		return
	}

	t.docs[i] = d
}

func (t *translation) remove(i int) {
	if i >= 0 {
		t.docs = slices.Delete(t.docs, i, i+1)
	}
}

// translate moves the settings of cfg's v1alpha1 document that were not set in before into
// their v1.14 documents. cfg is the caller's (ApplyProvider made it).
func translate(cfg config.Provider, before map[legacy]bool, sc scaffolds) (config.Provider, []talos.Warning, error) {
	v := cfg.RawV1Alpha1()
	after := legacyFields(v)

	moved := false

	for l, set := range after {
		if set && !before[l] {
			moved = true
		}
	}

	if !moved && sc == (scaffolds{}) {
		return cfg, nil, nil
	}

	v = v.DeepCopy()
	t := &translation{controlPlane: cfg.Machine() == nil || cfg.Machine().Type() != machine.TypeWorker}

	for _, d := range cfg.Documents() {
		if _, isV1 := d.(*v1alpha1.Config); isV1 {
			continue
		}

		t.docs = append(t.docs, d.Clone())
	}

	fresh := func(l legacy) bool { return after[l] && !before[l] }

	// the deprecated fields are what this translates
	if c := v.ClusterConfig; c != nil {
		if fresh(legacyCNI) {
			if err := t.cni(c.ClusterNetwork.CNI); err != nil {
				return nil, nil, err
			}

			c.ClusterNetwork.CNI = nil
		}

		if fresh(legacyNetwork) {
			t.network(c.ClusterNetwork)
		}

		if n := c.ClusterNetwork; n != nil && n.CNI == nil && n.DNSDomain == "" && len(n.PodSubnet) == 0 && len(n.ServiceSubnet) == 0 {
			c.ClusterNetwork = nil // emptied by the translation
		}

		if fresh(legacyProxy) {
			if err := t.proxy(c.ProxyConfig); err != nil {
				return nil, nil, err
			}

			c.ProxyConfig = nil
		}

		if fresh(legacyDiscovery) {
			if err := t.discovery(c.ClusterDiscoveryConfig); err != nil {
				return nil, nil, err
			}

			c.ClusterDiscoveryConfig = nil
		}

		if fresh(legacyIdentity) {
			t.identity(c.ClusterID, c.ClusterSecret)
			c.ClusterID, c.ClusterSecret = "", ""
		}

		if fresh(legacyInline) {
			t.inline(c.ClusterInlineManifests)
			c.ClusterInlineManifests = nil
		}

		if fresh(legacyExtra) {
			if err := t.extra(c.ExtraManifests, c.ExtraManifestHeaders); err != nil {
				return nil, nil, err
			}

			c.ExtraManifests, c.ExtraManifestHeaders = nil, nil
		}
	}

	// the deprecated fields are what this translates
	if m := v.MachineConfig; m != nil {
		if fresh(legacyKubePrism) {
			t.kubePrism(m.MachineFeatures.KubePrismSupport)
			m.MachineFeatures.KubePrismSupport = nil
		}

		if fresh(legacyKubeSpan) {
			if err := t.kubeSpan(m.MachineNetwork.NetworkKubeSpan); err != nil {
				return nil, nil, err
			}

			m.MachineNetwork.NetworkKubeSpan = nil
		}

		if fresh(legacyHostname) {
			t.hostname(m.MachineNetwork.NetworkHostname)
			m.MachineNetwork.NetworkHostname = ""
		}

		if fresh(legacyNode) {
			t.node(m.MachineNodeLabels, m.MachineNodeAnnotations, m.MachineNodeTaints)
			m.MachineNodeLabels, m.MachineNodeAnnotations, m.MachineNodeTaints = nil, nil, nil
		}

		if m.MachineNetwork != nil && reflect.ValueOf(*m.MachineNetwork).IsZero() {
			m.MachineNetwork = nil // emptied by the translation
		}
	}

	dropEmptyScaffolds(v, sc)

	out, err := container.New(append([]configconfig.Document{v}, t.docs...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: translated config: %w", ErrInvalidConfig, err)
	}

	return out, t.warnings, nil
}

func (t *translation) cni(c *v1alpha1.CNIConfig) error {
	const path = "/cluster/network/cni"

	if c.CNIFlannel != nil {
		return untranslatable(path+"/flannel", "KubeFlannelCNIConfig", "flannel's settings are the KubeFlannelCNIConfig document's fields")
	}

	switch c.CNIName {
	case "", "flannel":
		if len(c.CNIUrls) > 0 {
			return untranslatable(path+"/urls", "KubeExternalManifestConfig", "urls without cni name custom")
		}

		t.warn(path, "flannel is the KubeFlannelCNIConfig document generation wrote; nothing to change")
	case "none", "custom":
		if _, i := find[*k8s.KubeFlannelCNIConfigV1Alpha1](t, ""); i >= 0 {
			t.remove(i)
		}

		if c.CNIName == "none" {
			t.warn(path, "cni none: the KubeFlannelCNIConfig document deleted")

			return nil
		}

		if !t.controlPlane {
			t.warn(path, "cni custom: nothing on a worker (the custom CNI's KubeExternalManifestConfig documents are in the control-plane configs)")

			return nil
		}

		for i, raw := range c.CNIUrls {
			u, err := url.Parse(raw)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return untranslatable(fmt.Sprintf("%s/urls/%d", path, i), "KubeExternalManifestConfig", fmt.Sprintf("%q is not an http(s) URL", raw))
			}

			doc := k8s.NewKubeExternalManifestConfigV1Alpha1()
			doc.MetaName, doc.URLSpec = CustomCNIName(i), meta.URL{URL: u}

			_, at := find[*k8s.KubeExternalManifestConfigV1Alpha1](t, doc.MetaName)
			t.put(at, doc)
		}

		t.warn(path, "cni custom: the KubeFlannelCNIConfig document deleted and %d KubeExternalManifestConfig documents (custom-cni...) written", len(c.CNIUrls))
	default:
		return untranslatable(path+"/name", "KubeFlannelCNIConfig", fmt.Sprintf("unknown cni name %q", c.CNIName))
	}

	return nil
}

func (t *translation) network(n *v1alpha1.ClusterNetworkConfig) {
	doc, at := find[*k8s.KubeNetworkConfigV1Alpha1](t, "")
	if at < 0 {
		doc = k8s.NewKubeNetworkConfigV1Alpha1()
	} else {
		doc = doc.DeepCopy()
	}

	var fields []string

	if n.DNSDomain != "" {
		doc.NetworkDNSDomain, fields = n.DNSDomain, append(fields, "dnsDomain")
	}

	if len(n.PodSubnet) > 0 {
		doc.NetworkPodSubnets, fields = toPrefixes(n.PodSubnet), append(fields, "podSubnets")
	}

	if len(n.ServiceSubnet) > 0 {
		doc.NetworkServiceSubnets, fields = toPrefixes(n.ServiceSubnet), append(fields, "serviceSubnets")
	}

	n.DNSDomain, n.PodSubnet, n.ServiceSubnet = "", nil, nil

	t.put(at, doc)
	t.warn("/cluster/network", "%s written to the KubeNetworkConfig document", strings.Join(fields, ", "))
}

// toPrefixes parses subnets; an unparsable one is kept out (Talos's validation of the v1alpha1
// field would have refused it the same way).
func toPrefixes(subnets []string) []meta.Prefix {
	out := make([]meta.Prefix, 0, len(subnets))

	for _, s := range subnets {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, meta.Prefix{Prefix: p})
		}
	}

	return out
}

func (t *translation) proxy(p *v1alpha1.ProxyConfig) error {
	const path = "/cluster/proxy"

	if !t.controlPlane {
		t.warn(path, "kube-proxy is the control planes' KubeProxyConfig document (control-plane only); nothing to write on a worker")

		return nil
	}

	doc, at := find[*k8s.KubeProxyConfigV1Alpha1](t, "")
	if at < 0 {
		return untranslatable(path, "KubeProxyConfig", "the config has no KubeProxyConfig document to change")
	}

	doc = doc.DeepCopy()

	if p.Disabled != nil {
		doc.ProxyEnabled = new(!*p.Disabled)
	}

	if p.ContainerImage != "" {
		doc.ProxyImage = p.ContainerImage
	}

	if p.ModeConfig != "" {
		doc.ProxyMode = p.ModeConfig
	}

	if len(p.ExtraArgsConfig) > 0 {
		if doc.ProxyExtraArgs == nil {
			doc.ProxyExtraArgs = meta.Args{}
		}

		maps.Copy(doc.ProxyExtraArgs, p.ExtraArgsConfig)
	}

	t.put(at, doc)
	t.warn(path, "written to the KubeProxyConfig document (enabled: %t)", doc.ProxyEnabled == nil || *doc.ProxyEnabled)

	return nil
}

func (t *translation) discovery(d *v1alpha1.ClusterDiscoveryConfig) error {
	const path = "/cluster/discovery"

	if k := d.DiscoveryRegistries.RegistryKubernetes.RegistryDisabled; k != nil && !*k {
		return untranslatable(path+"/registries/kubernetes", "DiscoveryServiceConfig", "the Kubernetes discovery registry exists only in the legacy form (it does not work with Kubernetes 1.32+)")
	}

	svc := d.DiscoveryRegistries.RegistryService
	off := d.DiscoveryEnabled != nil && !*d.DiscoveryEnabled || svc.RegistryDisabled != nil && *svc.RegistryDisabled

	_, at := find[*cluster.DiscoveryServiceConfigV1Alpha1](t, DefaultDiscoveryName)

	if off {
		t.remove(at)
		t.warn(path, "discovery off: the DiscoveryServiceConfig %q document deleted", DefaultDiscoveryName)

		return nil
	}

	endpoint := svc.RegistryEndpoint
	if endpoint == "" {
		endpoint = DefaultDiscoveryEndpoint
	}

	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "grpc") || u.Host == "" {
		return untranslatable(path+"/registries/service/endpoint", "DiscoveryServiceConfig", fmt.Sprintf("%q is not a discovery service URL", endpoint))
	}

	t.put(at, cluster.NewDiscoveryServiceConfigV1Alpha1(DefaultDiscoveryName, u))
	t.warn(path, "written to the DiscoveryServiceConfig %q document (endpoint %s)", DefaultDiscoveryName, endpoint)

	return nil
}

func (t *translation) identity(id, secret string) {
	doc, at := find[*cluster.DiscoveryIdentityConfigV1Alpha1](t, "")
	if at < 0 {
		doc = cluster.NewDiscoveryIdentityConfigV1Alpha1(id, secret)
	} else {
		doc = doc.DeepCopy()

		if id != "" {
			doc.MetaClusterID = id
		}

		if secret != "" {
			doc.MetaClusterSecret = secret
		}
	}

	t.put(at, doc)
	t.warn("/cluster/id", "cluster id and secret written to the DiscoveryIdentityConfig document")
}

func (t *translation) inline(ms v1alpha1.ClusterInlineManifests) {
	for _, m := range ms {
		doc := k8s.NewKubeInlineManifestConfigV1Alpha1()
		doc.MetaName, doc.ManifestSpec = m.InlineManifestName, m.InlineManifestContents

		_, at := find[*k8s.KubeInlineManifestConfigV1Alpha1](t, m.InlineManifestName)
		t.put(at, doc)
	}

	t.warn("/cluster/inlineManifests", "%d inline manifests written as KubeInlineManifestConfig documents", len(ms))
}

func (t *translation) extra(urls []string, headers map[string]string) error {
	const path = "/cluster/extraManifests"

	if !t.controlPlane {
		t.warn(path, "nothing on a worker (extra manifests are the control planes' KubeExternalManifestConfig documents)")

		return nil
	}

	names := map[string]int{}

	for i, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return untranslatable(fmt.Sprintf("%s/%d", path, i), "KubeExternalManifestConfig", fmt.Sprintf("%q is not an http(s) URL", raw))
		}

		name := ExtraManifestName(raw)

		names[name]++
		if n := names[name]; n > 1 {
			name = fmt.Sprintf("%s-%d", name, n)
		}

		doc := k8s.NewKubeExternalManifestConfigV1Alpha1()
		doc.MetaName, doc.URLSpec = name, meta.URL{URL: u}

		if len(headers) > 0 {
			doc.HeadersSpec = maps.Clone(headers)
		}

		_, at := find[*k8s.KubeExternalManifestConfigV1Alpha1](t, name)
		t.put(at, doc)
	}

	t.warn(path, "%d URLs written as KubeExternalManifestConfig documents", len(urls))

	return nil
}

func (t *translation) kubePrism(k *v1alpha1.KubePrism) {
	const path = "/machine/features/kubePrism"

	_, at := find[*k8s.KubePrismConfigV1Alpha1](t, "")

	if k.ServerEnabled != nil && !*k.ServerEnabled {
		t.remove(at)
		t.warn(path, "KubePrism off: the KubePrismConfig document deleted")

		return
	}

	doc := k8s.NewKubePrismConfigV1Alpha1()
	doc.PortConfig = DefaultKubePrismPort

	if k.ServerPort != 0 {
		doc.PortConfig = k.ServerPort
	}

	t.put(at, doc)
	t.warn(path, "written to the KubePrismConfig document (port %d)", doc.PortConfig)
}

func (t *translation) kubeSpan(k *v1alpha1.NetworkKubeSpan) error {
	doc, at := find[*network.KubeSpanConfigV1Alpha1](t, "")
	if at < 0 {
		doc = network.NewKubeSpanV1Alpha1()
	} else {
		doc = doc.DeepCopy()
	}

	for _, f := range []struct{ dst, src **bool }{
		{&doc.ConfigEnabled, &k.KubeSpanEnabled},
		{&doc.ConfigAdvertiseKubernetesNetworks, &k.KubeSpanAdvertiseKubernetesNetworks},
		{&doc.ConfigAllowDownPeerBypass, &k.KubeSpanAllowDownPeerBypass},
		{&doc.ConfigHarvestExtraEndpoints, &k.KubeSpanHarvestExtraEndpoints},
	} {
		if *f.src != nil {
			*f.dst = new(**f.src)
		}
	}

	if k.KubeSpanMTU != nil {
		doc.ConfigMTU = new(*k.KubeSpanMTU)
	}

	if fl := k.KubeSpanFilters; fl != nil {
		if doc.ConfigFilters == nil {
			doc.ConfigFilters = &network.KubeSpanFiltersConfig{}
		}

		if len(fl.KubeSpanFiltersEndpoints) > 0 {
			doc.ConfigFilters.ConfigEndpoints = slices.Clone(fl.KubeSpanFiltersEndpoints)
		}

		for i, s := range fl.KubeSpanFiltersExcludeAdvertisedNetworks {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return untranslatable(fmt.Sprintf("/machine/network/kubespan/filters/excludeAdvertisedNetworks/%d", i), "KubeSpanConfig", fmt.Sprintf("%q is not a CIDR prefix", s))
			}

			doc.ConfigFilters.ConfigExcludeAdvertisedNetworks = append(doc.ConfigFilters.ConfigExcludeAdvertisedNetworks, meta.Prefix{Prefix: p})
		}
	}

	t.put(at, doc)
	t.warn("/machine/network/kubespan", "written to the KubeSpanConfig document")

	return nil
}

func (t *translation) hostname(h string) {
	doc, at := find[*network.HostnameConfigV1Alpha1](t, "")
	if at < 0 {
		doc = network.NewHostnameConfigV1Alpha1()
	} else {
		doc = doc.DeepCopy()
	}

	doc.ConfigAuto, doc.ConfigHostname = new(nethelpers.AutoHostnameKindOff), h

	t.put(at, doc)
	t.warn("/machine/network/hostname", "written to the HostnameConfig document (auto off)")
}

func (t *translation) node(labels, annotations, taints map[string]string) {
	doc, at := find[*k8s.KubeNodeConfigV1Alpha1](t, "")
	if at < 0 {
		doc = k8s.NewKubeNodeConfigV1Alpha1()
	} else {
		doc = doc.DeepCopy()
	}

	for _, f := range []struct {
		dst *map[string]string
		src map[string]string
	}{{&doc.LabelsConfig, labels}, {&doc.AnnotationsConfig, annotations}, {&doc.TaintsConfig, taints}} {
		if len(f.src) == 0 {
			continue
		}

		if *f.dst == nil {
			*f.dst = map[string]string{}
		}

		maps.Copy(*f.dst, f.src)
	}

	t.put(at, doc)
	t.warn("/machine/nodeLabels", "node labels, annotations and taints written to the KubeNodeConfig document")
}
