package sections

import (
	"encoding/base64"
	"fmt"
	"net/netip"

	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/types/network"
	"github.com/siderolabs/talos/pkg/machinery/config/types/v1alpha1"

	"github.com/talospatch/talospatch/kubespan"
	"github.com/talospatch/talospatch/talos"
)

// Validate checks the KubeSpan and discovery settings of a machine config for the problems
// Talos lets through or reports without a fix: KubeSpan (from a KubeSpanConfig document,
// which Talos does not cross-check) without cluster discovery or without any discovery
// registry, without cluster.id or cluster.secret, a cluster.secret that is not 32 bytes of
// base64, an MTU below kubespan.MinimumMTU, endpoint filters or excluded networks that do not parse
// or cannot take effect, and machine.network.kubespan set together with a KubeSpanConfig
// document. Every problem is a *FieldError naming the field and the fix; all of them are
// returned at once (talos.Join). Warnings are returned separately for settings that work
// but are discouraged. cfg is not modified.
func Validate(cfg config.Provider) (warnings []talos.Warning, err error) {
	if cfg == nil {
		return nil, fmt.Errorf("validate kubespan: %w", ErrNoConfig)
	}
	raw := cfg.RawV1Alpha1()
	var legacy *v1alpha1.NetworkKubeSpan // the legacy field is what we check

	if raw != nil && raw.MachineConfig != nil && raw.MachineConfig.MachineNetwork != nil {
		legacy = raw.MachineConfig.MachineNetwork.NetworkKubeSpan
	}
	var doc *network.KubeSpanConfigV1Alpha1
	var extraEndpoints int
	for _, d := range cfg.Documents() {
		switch d := d.(type) {
		case *network.KubeSpanConfigV1Alpha1:
			if doc == nil {
				doc = d
			}
		case *network.KubespanEndpointsConfigV1Alpha1:
			extraEndpoints += len(d.ExtraAnnouncedEndpointsConfig)
		}
	}

	var errs []error
	if doc != nil && legacy != nil {
		errs = append(errs, &talos.FieldError{Document: docRef("v1alpha1"), Path: dotted("machine.network.kubespan"),
			Err: fmt.Errorf("%w: also set by a KubeSpanConfig document", ErrConflict),
			Fix: "move the settings into the KubeSpanConfig document and delete machine.network.kubespan (`$patch: delete`)"})
	}

	var (
		enabled, harvest bool
		docName, prefix  string
		mtu              *uint32
		filters          []string
		excluded         []string
	)
	switch {
	case doc != nil:
		docName = network.KubeSpanKind
		enabled, harvest, mtu = doc.Enabled(), doc.HarvestExtraEndpoints(), doc.ConfigMTU
		if doc.ConfigFilters != nil {
			filters = doc.ConfigFilters.ConfigEndpoints
			for _, p := range doc.ConfigFilters.ConfigExcludeAdvertisedNetworks {
				excluded = append(excluded, p.String())
			}
		}
	case legacy != nil:
		docName, prefix = "v1alpha1", "machine.network.kubespan."
		enabled, harvest, mtu = legacy.Enabled(), legacy.HarvestExtraEndpoints(), legacy.KubeSpanMTU
		if legacy.KubeSpanFilters != nil {
			filters = legacy.KubeSpanFilters.KubeSpanFiltersEndpoints
			excluded = legacy.KubeSpanFilters.KubeSpanFiltersExcludeAdvertisedNetworks
		}
	}

	if !enabled {
		return warnings, joinErrs(errs)
	}

	errs = append(errs, checkCluster(cfg)...)

	if mtu != nil && *mtu < kubespan.MinimumMTU {
		errs = append(errs, &talos.FieldError{Document: docRef(docName), Path: dotted(prefix + "mtu"), Err: fmt.Errorf("%w: %d is below %d", ErrMTUTooSmall, *mtu, kubespan.MinimumMTU),
			Fix: fmt.Sprintf("set mtu to at least %d, or remove it for the default %d", kubespan.MinimumMTU, kubespan.DefaultMTU)})
	}
	parsed := make([]kubespan.EndpointFilter, 0, len(filters))
	parseOK := true
	for i, s := range filters {
		f, perr := kubespan.ParseEndpointFilter(s)
		if perr != nil {
			parseOK = false
			errs = append(errs, &talos.FieldError{Document: docRef(docName), Path: dotted(fmt.Sprintf("%sfilters.endpoints[%d]", prefix, i)), Err: perr,
				Fix: `write a CIDR or address, optionally prefixed with "!", e.g. "0.0.0.0/0" or "!192.168.0.0/16"`})
			continue
		}
		parsed = append(parsed, f)
	}
	if parseOK {
		for _, p := range checkFilterSemantics(parsed, extraEndpoints > 0) {
			errs = append(errs, &talos.FieldError{Document: docRef(docName), Path: dotted(prefix + p.path), Err: p.err, Fix: p.fix})
		}
	}
	for i, s := range excluded {
		if _, perr := netip.ParsePrefix(s); perr != nil {
			errs = append(errs, &talos.FieldError{Document: docRef(docName), Path: dotted(fmt.Sprintf("%sfilters.excludeAdvertisedNetworks[%d]", prefix, i)),
				Err: fmt.Errorf("%w: %q: %w", ErrInvalidFilter, s, perr), Fix: "write a CIDR prefix such as 192.168.1.0/24 (a single address needs /32 or /128)"})
		}
	}
	if harvest {
		warnings = append(warnings, talos.Warning{Document: docRef(docName), Path: dotted(prefix + "harvestExtraEndpoints"),
			Message: "enabled; Talos advises against it with more than about 50 peers"})
	}
	if raw != nil && raw.ClusterConfig != nil && raw.ClusterConfig.ClusterDiscoveryConfig != nil {
		if k := raw.ClusterConfig.ClusterDiscoveryConfig.DiscoveryRegistries.RegistryKubernetes.RegistryDisabled; k == nil || !*k {
			warnings = append(warnings, talos.Warning{Document: docRef("v1alpha1"), Path: "/cluster/discovery/registries/kubernetes",
				Message: "enabled; this registry is deprecated and does not work with Kubernetes 1.32+"})
		}
	}
	return warnings, joinErrs(errs)
}

func checkCluster(cfg config.Provider) []error {
	var (
		errs                       []error
		identityDoc, discoveryDocs bool
	)
	for _, d := range cfg.Documents() {
		switch d.Kind() {
		case identityKind:
			identityDoc = true
		case discoveryKind:
			discoveryDocs = true
		}
	}
	raw := cfg.RawV1Alpha1()
	var cc *v1alpha1.ClusterConfig
	if raw != nil {
		cc = raw.ClusterConfig
	}
	var dc *v1alpha1.ClusterDiscoveryConfig
	if cc != nil {
		dc = cc.ClusterDiscoveryConfig
	}
	switch {
	case discoveryDocs:
		// v1.14: each DiscoveryServiceConfig document is a discovery service; Talos's own
		// validation checks their endpoints.
	case identityDoc && dc == nil:
		errs = append(errs, &talos.FieldError{Document: docRef(discoveryKind),
			Err: fmt.Errorf("%w: no discovery service, so KubeSpan finds no peers", ErrDiscoveryDisabled),
			Fix: "add a DiscoveryServiceConfig document (patches.ClusterDiscovery, or generate without turning discovery off)"})
	case dc == nil || dc.DiscoveryEnabled == nil || !*dc.DiscoveryEnabled:
		errs = append(errs, &talos.FieldError{Document: docRef("v1alpha1"), Path: dotted("cluster.discovery.enabled"),
			Err: fmt.Errorf("%w: discovery is off, so KubeSpan finds no peers", ErrDiscoveryDisabled), Fix: "set cluster.discovery.enabled: true"})
	case isTrue(dc.DiscoveryRegistries.RegistryKubernetes.RegistryDisabled) && isTrue(dc.DiscoveryRegistries.RegistryService.RegistryDisabled):
		errs = append(errs, &talos.FieldError{Document: docRef("v1alpha1"), Path: dotted("cluster.discovery.registries"),
			Err: fmt.Errorf("%w: every registry is disabled, so KubeSpan finds no peers", ErrDiscoveryDisabled),
			Fix: "set cluster.discovery.registries.service.disabled: false"})
	}
	var id, secret string
	if ic := cfg.DiscoveryIdentityConfig(); ic != nil {
		id, secret = ic.ClusterID(), ic.ClusterSecret()
	}
	doc, idPath, secretPath := docRef("v1alpha1"), "/cluster/id", "/cluster/secret"
	if identityDoc {
		doc, idPath, secretPath = docRef(identityKind), "/clusterID", "/clusterSecret"
	}
	if id == "" {
		errs = append(errs, &talos.FieldError{Document: doc, Path: idPath, Err: ErrMissingClusterID,
			Fix: "set the cluster's id (from the secrets bundle), or generate one for a cluster that never had one with NewClusterSecrets"})
	}
	if secret == "" {
		errs = append(errs, &talos.FieldError{Document: doc, Path: secretPath, Err: ErrMissingClusterSecret,
			Fix: "set the cluster's secret (from the secrets bundle), or generate one for a cluster that never had one with NewClusterSecrets"})
	} else if b, err := base64.StdEncoding.DecodeString(secret); err != nil || len(b) != 32 {
		errs = append(errs, &talos.FieldError{Document: doc, Path: secretPath,
			Err: fmt.Errorf("%w: KubeSpan uses it as the WireGuard pre-shared key and needs 32 bytes of standard base64", ErrInvalidClusterSecrets),
			Fix: "use the value from the secrets bundle or `openssl rand -base64 32`"})
	}
	return errs
}

// Document kinds of contract v1.14's discovery settings.
const (
	identityKind  = "DiscoveryIdentityConfig"
	discoveryKind = "DiscoveryServiceConfig"
)

func isTrue(b *bool) bool { return b != nil && *b }
