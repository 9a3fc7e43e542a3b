package sections

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/url"
	"slices"

	coreconfig "github.com/siderolabs/talos/pkg/machinery/config/config"
	"github.com/siderolabs/talos/pkg/machinery/config/types/cluster"
	"github.com/siderolabs/talos/pkg/machinery/config/types/meta"
	"github.com/siderolabs/talos/pkg/machinery/config/types/network"
	"github.com/siderolabs/talos/pkg/machinery/config/types/v1alpha1"
	yaml "go.yaml.in/yaml/v4"

	"github.com/talospatch/talospatch/internal/machineryseam"
	"github.com/talospatch/talospatch/kubespan"
	"github.com/talospatch/talospatch/talos"

	"github.com/talospatch/talospatch/patches"
)

// Discovery is the cluster.discovery section: the same type as patches.Discovery, so one value
// configures both the patches recipe and DiscoverySections. The zero value is discovery enabled
// through the public discovery service (kubespan.DefaultDiscoveryEndpoint), with the deprecated
// Kubernetes registry disabled, which is what `talosctl gen config` writes for current contracts.
type Discovery = patches.Discovery

// ClusterSecrets are the cluster id and secret values KubeSpan and discovery need
// (cluster.id/cluster.secret, or the DiscoveryIdentityConfig document on v1.14). ID is 32
// random bytes in base64, Secret 32 random bytes in standard base64. The secret is also every
// KubeSpan peer's WireGuard pre-shared key and the discovery data key.
type ClusterSecrets struct {
	// ID is the cluster id: 32 bytes in base64 with padding, URL-safe (as Talos made them up to
	// v1.13 and NewClusterSecrets makes them) or standard (as Talos v1.14 makes them).
	ID string
	// Secret is cluster.secret: 32 bytes, standard base64.
	Secret string
}

// NewClusterSecrets reads 64 bytes from rand and returns a new cluster id and secret,
// encoded like Talos's secrets bundle. Pass crypto/rand.Reader for real clusters.
// Never call it for an existing cluster that already has an id: that locks nodes out.
func NewClusterSecrets(rand io.Reader) (ClusterSecrets, error) {
	var buf [64]byte
	if _, err := io.ReadFull(rand, buf[:]); err != nil {
		return ClusterSecrets{}, fmt.Errorf("new cluster secrets: read randomness: %w", err)
	}
	return ClusterSecrets{
		ID:     base64.URLEncoding.EncodeToString(buf[:32]),
		Secret: base64.StdEncoding.EncodeToString(buf[32:]),
	}, nil
}

// Validate checks that ID and Secret each decode to 32 bytes in their encodings.
func (c ClusterSecrets) Validate() error {
	var errs []error
	if !is32(base64.URLEncoding, c.ID) && !is32(base64.StdEncoding, c.ID) {
		errs = append(errs, &talos.FieldError{Document: docRef("v1alpha1"), Path: dotted("cluster.id"), Err: fmt.Errorf("%w: want 32 bytes of base64 (URL-safe or standard)", ErrInvalidClusterSecrets),
			Fix: "generate one with NewClusterSecrets, or keep the existing cluster's value"})
	}
	if b, err := base64.StdEncoding.DecodeString(c.Secret); err != nil || len(b) != 32 {
		errs = append(errs, &talos.FieldError{Document: docRef("v1alpha1"), Path: dotted("cluster.secret"), Err: fmt.Errorf("%w: want 32 bytes of standard base64", ErrInvalidClusterSecrets),
			Fix: "generate one with NewClusterSecrets (like `openssl rand -base64 32`), or keep the existing cluster's value"})
	}
	return joinErrs(errs)
}

func is32(enc *base64.Encoding, s string) bool {
	b, err := enc.DecodeString(s)
	return err == nil && len(b) == 32
}

// Sections is a set of configuration sections rendered for one version contract: typed
// machinery documents and the strategic merge patch text that adds them to a config.
// Build one with KubeSpanSections, DiscoverySections, NewClusterSections or UpgradeSections,
// and combine with Merge.
type Sections struct {
	legacy  *v1alpha1.Config // partial v1alpha1 document, nil if none
	docs    []coreconfig.Document
	deletes []docKey // documents the patch deletes ("$patch: delete"), in order
}

// docKey identifies a document by kind and name.
type docKey = talos.Document

func keyOf(d coreconfig.Document) docKey { return machineryseam.DocumentOf(d) }

// Documents returns copies of the typed documents: a partial *v1alpha1.Config first (if any
// field lives there), then *network.KubeSpanConfigV1Alpha1 and
// *network.KubespanEndpointsConfigV1Alpha1 as present.
func (s Sections) Documents() []coreconfig.Document {
	out := make([]coreconfig.Document, 0, 1+len(s.docs))
	if s.legacy != nil {
		out = append(out, s.legacy.DeepCopy())
	}
	for _, d := range s.docs {
		out = append(out, d.Clone())
	}
	return out
}

// IsEmpty reports whether the sections hold nothing.
func (s Sections) IsEmpty() bool { return s.legacy == nil && len(s.docs) == 0 && len(s.deletes) == 0 }

// Deletes returns the documents the sections delete (on contract v1.14, discovery disabled is
// the DiscoveryServiceConfig document deleted), as "Kind" or "Kind/name". They are part of
// YAML and Patch, and not of Documents.
func (s Sections) Deletes() []string {
	out := make([]string, 0, len(s.deletes))
	for _, d := range s.deletes {
		if d.Name == "" {
			out = append(out, d.Kind)
		} else {
			out = append(out, d.Kind+"/"+d.Name)
		}
	}
	return out
}

// Merge returns s with o's sections added; o's fields win where both set the same field.
// Merging two KubeSpan sections keeps o's document.
func (s Sections) Merge(o Sections) Sections {
	out := Sections{}
	switch {
	case s.legacy == nil && o.legacy == nil:
	case s.legacy == nil:
		out.legacy = o.legacy.DeepCopy()
	default:
		out.legacy = s.legacy.DeepCopy()
		if o.legacy != nil {
			mergeLegacy(out.legacy, o.legacy)
		}
	}
	overridden := func(k docKey) bool {
		return slices.ContainsFunc(o.docs, func(od coreconfig.Document) bool { return keyOf(od) == k }) || slices.Contains(o.deletes, k)
	}
	for _, d := range s.docs {
		if !overridden(keyOf(d)) {
			out.docs = append(out.docs, d.Clone())
		}
	}
	for _, d := range o.docs {
		out.docs = append(out.docs, d.Clone())
	}
	for _, k := range s.deletes {
		if !overridden(k) {
			out.deletes = append(out.deletes, k)
		}
	}
	out.deletes = append(out.deletes, o.deletes...)
	slices.SortStableFunc(out.docs, func(a, b coreconfig.Document) int { return docOrder(a.Kind()) - docOrder(b.Kind()) })
	return out
}

func docOrder(kind string) int {
	switch kind {
	case cluster.DiscoveryIdentityKind:
		return 0
	case cluster.DiscoveryServiceKind:
		return 1
	case network.KubeSpanKind:
		return 2
	case network.KubespanEndpointsKind:
		return 3
	}
	return 4
}

func mergeLegacy(dst, src *v1alpha1.Config) {
	if src.MachineConfig != nil && src.MachineConfig.MachineNetwork != nil && src.MachineConfig.MachineNetwork.NetworkKubeSpan != nil {
		if dst.MachineConfig == nil {
			dst.MachineConfig = &v1alpha1.MachineConfig{}
		}
		if dst.MachineConfig.MachineNetwork == nil {
			dst.MachineConfig.MachineNetwork = &v1alpha1.NetworkConfig{}
		}
		dst.MachineConfig.MachineNetwork.NetworkKubeSpan = src.MachineConfig.MachineNetwork.NetworkKubeSpan.DeepCopy()
	}
	if src.ClusterConfig != nil {
		if dst.ClusterConfig == nil {
			dst.ClusterConfig = &v1alpha1.ClusterConfig{}
		}
		if src.ClusterConfig.ClusterID != "" {
			dst.ClusterConfig.ClusterID = src.ClusterConfig.ClusterID
		}
		if src.ClusterConfig.ClusterSecret != "" {
			dst.ClusterConfig.ClusterSecret = src.ClusterConfig.ClusterSecret
		}
		if src.ClusterConfig.ClusterDiscoveryConfig != nil {
			dst.ClusterConfig.ClusterDiscoveryConfig = src.ClusterConfig.ClusterDiscoveryConfig.DeepCopy()
		}
	}
}

// YAML returns the strategic merge patch text (what `talosctl --config-patch` takes): the
// v1alpha1 fields first (without apiVersion/kind, as Talos patches are written), then each
// document, separated by "---". The output is deterministic.
func (s Sections) YAML() ([]byte, error) {
	var parts [][]byte
	if s.legacy != nil {
		b, err := encodeLegacy(s.legacy)
		if err != nil {
			return nil, err
		}
		parts = append(parts, b)
	}
	for _, d := range s.docs {
		b, err := machineryseam.EncodeDocument(d)
		if err != nil {
			return nil, fmt.Errorf("encode %s document: %w", d.Kind(), err)
		}
		parts = append(parts, b)
	}
	for _, k := range s.deletes {
		b := "apiVersion: v1alpha1\nkind: " + k.Kind + "\n"
		if k.Name != "" {
			b += "name: " + k.Name + "\n"
		}
		parts = append(parts, []byte(b+"$patch: delete\n"))
	}
	return bytes.Join(parts, []byte("---\n")), nil
}

// legacy patch shapes: only the fields these sections set, in Talos's key order.
type legacyPatch struct {
	Machine *legacyMachine `yaml:"machine,omitempty"`
	Cluster *legacyCluster `yaml:"cluster,omitempty"`
}

type legacyMachine struct {
	Network legacyNetwork `yaml:"network"`
}

type legacyNetwork struct {
	KubeSpan *v1alpha1.NetworkKubeSpan `yaml:"kubespan"`
}

type legacyCluster struct {
	ID        string                           `yaml:"id,omitempty"`
	Secret    string                           `yaml:"secret,omitempty"`
	Discovery *v1alpha1.ClusterDiscoveryConfig `yaml:"discovery,omitempty"`
}

func encodeLegacy(c *v1alpha1.Config) ([]byte, error) {
	var p legacyPatch
	if c.MachineConfig != nil && c.MachineConfig.MachineNetwork != nil && c.MachineConfig.MachineNetwork.NetworkKubeSpan != nil {
		p.Machine = &legacyMachine{Network: legacyNetwork{KubeSpan: c.MachineConfig.MachineNetwork.NetworkKubeSpan}}
	}
	if cc := c.ClusterConfig; cc != nil && (cc.ClusterID != "" || cc.ClusterSecret != "" || cc.ClusterDiscoveryConfig != nil) {
		p.Cluster = &legacyCluster{ID: cc.ClusterID, Secret: cc.ClusterSecret, Discovery: cc.ClusterDiscoveryConfig}
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(4)
	if err := enc.Encode(p); err != nil {
		return nil, fmt.Errorf("encode v1alpha1 patch: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode v1alpha1 patch: %w", err)
	}
	return buf.Bytes(), nil
}

func joinErrs(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	return talos.Join(errs...)
}

// ExtraEndpointsSupported reports whether the contract has the KubeSpanEndpointsConfig
// document (Talos v1.8 and later).
func ExtraEndpointsSupported(contract talos.Contract) bool {
	return contract.Form(talos.SettingKubeSpanEndpoints).Supported()
}

// KubeSpanSections renders ks for the contract: for contracts before v1.13 the legacy
// machine.network.kubespan fields, from v1.13 a KubeSpanConfig document; extra announced
// endpoints go into a KubeSpanEndpointsConfig document. As `talosctl gen config
// --with-kubespan` writes it, only enabled and the booleans that are true are written (so
// kubespan.KubeSpan{Enabled: true} is a KubeSpanConfig with only "enabled: true"); a false boolean is
// Talos's default, and a strategic merge cannot turn a true one off: delete the document or the
// field to reset it. MTU and filters are written only when set. Errors are *talos.FieldError values joined;
// the zero contract is an error.
func KubeSpanSections(contract talos.Contract, ks kubespan.KubeSpan) (Sections, error) {
	if err := contract.Check("contract"); err != nil {
		return Sections{}, fmt.Errorf("kubespan sections: %w", err)
	}
	multidoc := contract.Form(talos.SettingKubeSpan).Document()
	docName, prefix := "KubeSpanConfig", ""
	if !multidoc {
		docName, prefix = "v1alpha1", "machine.network.kubespan."
	}
	if errs := checkKubeSpan(ks, docName, prefix); len(errs) > 0 {
		return Sections{}, joinErrs(errs)
	}
	if len(ks.ExtraAnnouncedEndpoints) > 0 && !ExtraEndpointsSupported(contract) {
		return Sections{}, &talos.FieldError{Document: docRef("KubeSpanEndpointsConfig"), Path: dotted("extraAnnouncedEndpoints"),
			Err: fmt.Errorf("%w %s: needs Talos v1.8", ErrUnsupported, contract), Fix: "use a v1.8 or later contract, or drop the extra endpoints"}
	}
	var s Sections
	if multidoc {
		doc := network.NewKubeSpanV1Alpha1()
		doc.ConfigEnabled = new(ks.Enabled)
		if ks.AdvertiseKubernetesNetworks {
			doc.ConfigAdvertiseKubernetesNetworks = new(true)
		}
		if ks.AllowDownPeerBypass {
			doc.ConfigAllowDownPeerBypass = new(true)
		}
		if ks.HarvestExtraEndpoints {
			doc.ConfigHarvestExtraEndpoints = new(true)
		}
		if ks.MTU != 0 {
			doc.ConfigMTU = new(ks.MTU)
		}
		if len(ks.EndpointFilters) > 0 || len(ks.ExcludeAdvertisedNetworks) > 0 {
			doc.ConfigFilters = &network.KubeSpanFiltersConfig{}
			for _, f := range ks.EndpointFilters {
				doc.ConfigFilters.ConfigEndpoints = append(doc.ConfigFilters.ConfigEndpoints, f.String())
			}
			for _, p := range ks.ExcludeAdvertisedNetworks {
				doc.ConfigFilters.ConfigExcludeAdvertisedNetworks = append(doc.ConfigFilters.ConfigExcludeAdvertisedNetworks, meta.Prefix{Prefix: p})
			}
		}
		s.docs = append(s.docs, doc)
	} else {
		// Only fields that differ from the default are written (enabled always): older Talos
		// versions reject fields they do not know yet.
		legacy := &v1alpha1.NetworkKubeSpan{KubeSpanEnabled: new(ks.Enabled)}
		if ks.AdvertiseKubernetesNetworks {
			legacy.KubeSpanAdvertiseKubernetesNetworks = new(true)
		}
		if ks.AllowDownPeerBypass {
			legacy.KubeSpanAllowDownPeerBypass = new(true)
		}
		if ks.HarvestExtraEndpoints {
			legacy.KubeSpanHarvestExtraEndpoints = new(true)
		}
		if ks.MTU != 0 {
			legacy.KubeSpanMTU = new(ks.MTU)
		}
		if len(ks.EndpointFilters) > 0 || len(ks.ExcludeAdvertisedNetworks) > 0 {
			legacy.KubeSpanFilters = &v1alpha1.KubeSpanFilters{}
			for _, f := range ks.EndpointFilters {
				legacy.KubeSpanFilters.KubeSpanFiltersEndpoints = append(legacy.KubeSpanFilters.KubeSpanFiltersEndpoints, f.String())
			}
			for _, p := range ks.ExcludeAdvertisedNetworks {
				legacy.KubeSpanFilters.KubeSpanFiltersExcludeAdvertisedNetworks = append(legacy.KubeSpanFilters.KubeSpanFiltersExcludeAdvertisedNetworks, p.String())
			}
		}
		s.legacy = &v1alpha1.Config{MachineConfig: &v1alpha1.MachineConfig{MachineNetwork: &v1alpha1.NetworkConfig{NetworkKubeSpan: legacy}}}
	}
	if len(ks.ExtraAnnouncedEndpoints) > 0 {
		doc := network.NewKubespanEndpointsV1Alpha1()
		doc.ExtraAnnouncedEndpointsConfig = slices.Clone(ks.ExtraAnnouncedEndpoints)
		s.docs = append(s.docs, doc)
	}
	return s, nil
}

func checkKubeSpan(ks kubespan.KubeSpan, doc, prefix string) []error {
	var errs []error
	if ks.MTU != 0 && ks.MTU < kubespan.MinimumMTU {
		errs = append(errs, &talos.FieldError{Document: docRef(doc), Path: dotted(prefix + "mtu"), Err: fmt.Errorf("%w: %d is below %d", ErrMTUTooSmall, ks.MTU, kubespan.MinimumMTU),
			Fix: fmt.Sprintf("set mtu to at least %d, or leave it unset for the default %d", kubespan.MinimumMTU, kubespan.DefaultMTU)})
	}
	for i, f := range ks.EndpointFilters {
		if !f.Prefix.IsValid() {
			errs = append(errs, &talos.FieldError{Document: docRef(doc), Path: dotted(fmt.Sprintf("%sfilters.endpoints[%d]", prefix, i)), Err: fmt.Errorf("%w: zero prefix", ErrInvalidFilter),
				Fix: "write a CIDR such as 0.0.0.0/0, optionally prefixed with !"})
		}
	}
	for _, err := range checkFilterSemantics(ks.EndpointFilters, len(ks.ExtraAnnouncedEndpoints) > 0) {
		errs = append(errs, &talos.FieldError{Document: docRef(doc), Path: dotted(prefix + err.path), Err: err.err, Fix: err.fix})
	}
	for i, p := range ks.ExcludeAdvertisedNetworks {
		if !p.IsValid() {
			errs = append(errs, &talos.FieldError{Document: docRef(doc), Path: dotted(fmt.Sprintf("%sfilters.excludeAdvertisedNetworks[%d]", prefix, i)), Err: fmt.Errorf("%w: zero prefix", ErrInvalidFilter),
				Fix: "write a CIDR such as 192.168.1.0/24"})
		}
	}
	for i, e := range ks.ExtraAnnouncedEndpoints {
		if !e.IsValid() || e.Port() == 0 {
			errs = append(errs, &talos.FieldError{Document: docRef("KubeSpanEndpointsConfig"), Path: dotted(fmt.Sprintf("extraAnnouncedEndpoints[%d]", i)), Err: fmt.Errorf("%w: %q is not address:port", ErrInvalidFilter, e.String()),
				Fix: "write an address and port such as 192.168.13.46:52000"})
		}
	}
	return errs
}

type filterProblem struct {
	path, fix string
	err       error
}

// checkFilterSemantics finds filters that cannot mean what they say. A list of only
// negations keeps no node address; that is accepted when extra endpoints are announced
// (the way to announce only those).
func checkFilterSemantics(filters []kubespan.EndpointFilter, haveExtra bool) []filterProblem {
	var out []filterProblem
	positive := slices.ContainsFunc(filters, func(f kubespan.EndpointFilter) bool { return !f.Negate })
	if len(filters) > 0 && !positive {
		if !haveExtra {
			out = append(out, filterProblem{path: "filters.endpoints", err: fmt.Errorf("%w: only negations, so no node address is announced", ErrIneffectiveFilter),
				fix: `start the list with the networks to keep, e.g. ["0.0.0.0/0", "::/0", "!192.168.0.0/16"]`})
		}
		return out
	}
	for i, f := range filters {
		if !f.Negate {
			break
		}
		out = append(out, filterProblem{path: fmt.Sprintf("filters.endpoints[%d]", i),
			err: fmt.Errorf("%w: %q comes before any positive filter and removes nothing", ErrIneffectiveFilter, f.String()),
			fix: "move the negation after the positive filter it narrows"})
	}
	return out
}

// DiscoverySections renders cluster discovery: the cluster.discovery section up to v1.13, the
// DiscoveryServiceConfig document named d.Name ("default" when empty) on v1.14 (discovery off:
// that document deleted; the Kubernetes registry, which exists only in the legacy form, is an
// error there).
func DiscoverySections(contract talos.Contract, d Discovery) (Sections, error) {
	if err := contract.Check("contract"); err != nil {
		return Sections{}, fmt.Errorf("discovery sections: %w", err)
	}
	if err := checkDiscoveryEndpoint(d.ServiceEndpoint); err != nil {
		return Sections{}, err
	}
	if contract.Form(talos.SettingDiscovery).Document() {
		return discoveryDocument(d)
	}
	if d.Name != "" && d.Name != patches.DefaultDiscoveryName {
		return Sections{}, &talos.FieldError{Document: docRef("v1alpha1"), Path: "/cluster/discovery",
			Err: fmt.Errorf("%w %s: one discovery service (cluster.discovery); named services need v1.14", ErrUnsupported, contract), Fix: "leave Name empty, or use contract v1.14"}
	}
	dc := &v1alpha1.ClusterDiscoveryConfig{
		DiscoveryEnabled: new(!d.Disabled),
		DiscoveryRegistries: v1alpha1.DiscoveryRegistriesConfig{
			RegistryKubernetes: v1alpha1.RegistryKubernetesConfig{RegistryDisabled: new(!d.KubernetesRegistry)},
			RegistryService:    v1alpha1.RegistryServiceConfig{RegistryDisabled: new(d.ServiceRegistryDisabled), RegistryEndpoint: d.ServiceEndpoint},
		},
	}
	return Sections{legacy: &v1alpha1.Config{ClusterConfig: &v1alpha1.ClusterConfig{ClusterDiscoveryConfig: dc}}}, nil
}

func checkDiscoveryEndpoint(ep string) error {
	if ep == "" {
		return nil
	}
	u, err := url.Parse(ep)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return &talos.FieldError{Document: docRef("v1alpha1"), Path: dotted("cluster.discovery.registries.service.endpoint"),
			Err: fmt.Errorf("%w: %q: want an http(s) URL", ErrInvalidDiscoveryEndpoint, ep), Fix: "use a URL such as " + kubespan.DefaultDiscoveryEndpoint}
	}
	return nil
}

// discoveryDocument is DiscoverySections on v1.14: the DiscoveryServiceConfig document of
// d.Name ("default" when empty), or its deletion when discovery is off.
func discoveryDocument(d Discovery) (Sections, error) {
	name := d.Name
	if name == "" {
		name = patches.DefaultDiscoveryName
	}
	if d.KubernetesRegistry {
		return Sections{}, &talos.FieldError{Document: docRef(discoveryKind), Err: fmt.Errorf("%w: the Kubernetes discovery registry exists only in the legacy cluster.discovery form (contracts up to v1.13), and does not work with Kubernetes 1.32+", ErrUnsupported),
			Fix: "leave KubernetesRegistry off: on v1.14 discovery is the DiscoveryServiceConfig documents"}
	}
	if d.Disabled || d.ServiceRegistryDisabled {
		return Sections{deletes: []docKey{{Kind: discoveryKind, Name: name}}}, nil
	}
	endpoint := d.ServiceEndpoint
	if endpoint == "" {
		endpoint = kubespan.DefaultDiscoveryEndpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return Sections{}, fmt.Errorf("discovery sections: %w", err) // unreachable: checked
	}
	return Sections{docs: []coreconfig.Document{cluster.NewDiscoveryServiceConfigV1Alpha1(name, u)}}, nil
}

// ClusterSecretsSections renders the cluster id and secret: cluster.id and cluster.secret up to
// v1.13, the DiscoveryIdentityConfig document on v1.14.
func ClusterSecretsSections(contract talos.Contract, secrets ClusterSecrets) (Sections, error) {
	if err := contract.Check("contract"); err != nil {
		return Sections{}, fmt.Errorf("cluster secrets sections: %w", err)
	}
	if err := secrets.Validate(); err != nil {
		return Sections{}, err
	}
	if contract.Form(talos.SettingClusterIdentity).Document() {
		return Sections{docs: []coreconfig.Document{cluster.NewDiscoveryIdentityConfigV1Alpha1(secrets.ID, secrets.Secret)}}, nil
	}
	return Sections{legacy: &v1alpha1.Config{ClusterConfig: &v1alpha1.ClusterConfig{ClusterID: secrets.ID, ClusterSecret: secrets.Secret}}}, nil
}

// NewClusterSections is the guide's "new cluster" step (what `talosctl gen config
// --with-kubespan` adds): cluster id and secret, discovery enabled through the service
// registry (Kubernetes registry disabled), and KubeSpan enabled, for the contract.
func NewClusterSections(contract talos.Contract, secrets ClusterSecrets) (Sections, error) {
	return enableSections(contract, secrets, Discovery{})
}

// UpgradeSections is the guide's "upgrade an existing cluster" step: the patch every machine
// of the cluster gets. It carries the cluster's existing id and secret (only generate new ones
// with NewClusterSecrets if the cluster never had them), enables discovery and enables
// KubeSpan. Pass the discovery settings the cluster already uses (the zero value is the
// default service registry); settings that disable both registries are an error
// (ErrDiscoveryDisabled), as KubeSpan would find no peers. With a v1.13 contract KubeSpan
// goes into a KubeSpanConfig document: if the machines' configs still carry machine.network.kubespan (generated for an
// older contract), use that older contract instead, or Validate reports the conflict.
func UpgradeSections(contract talos.Contract, secrets ClusterSecrets, discovery Discovery) (Sections, error) {
	discovery.Disabled = false
	return enableSections(contract, secrets, discovery)
}

func enableSections(contract talos.Contract, secrets ClusterSecrets, d Discovery) (Sections, error) {
	if d.ServiceRegistryDisabled && !d.KubernetesRegistry {
		return Sections{}, &talos.FieldError{Document: docRef("v1alpha1"), Path: dotted("cluster.discovery.registries"),
			Err: fmt.Errorf("%w: every registry is disabled, so KubeSpan finds no peers", ErrDiscoveryDisabled),
			Fix: "keep the service registry (ServiceRegistryDisabled: false), or enable the Kubernetes registry"}
	}
	cs, err := ClusterSecretsSections(contract, secrets)
	if err != nil {
		return Sections{}, err
	}
	ds, err := DiscoverySections(contract, d)
	if err != nil {
		return Sections{}, err
	}
	ks, err := KubeSpanSections(contract, kubespan.KubeSpan{Enabled: true})
	if err != nil {
		return Sections{}, err
	}
	return cs.Merge(ds).Merge(ks), nil
}
