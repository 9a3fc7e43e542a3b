package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"
	configconfig "github.com/siderolabs/talos/pkg/machinery/config/config"
	"github.com/siderolabs/talos/pkg/machinery/config/types/v1alpha1"
	"github.com/siderolabs/talos/pkg/machinery/config/validation"

	"github.com/talospatch/talospatch/kubespan"
)

// Mode is the runtime mode a machine config is validated for: where Talos runs. Machinery
// validates differently per mode (metal needs an install disk, container needs host DNS).
// The zero value, ModeUnknown, is not a mode and Validate refuses it.
type Mode int

// Runtime modes.
const (
	// ModeUnknown is the zero value; it is not a mode.
	ModeUnknown Mode = iota
	// ModeContainer is Talos in a container (talosctl cluster create with docker).
	ModeContainer
	// ModeMetal is Talos installed on a machine, bare metal or a VM booted from an ISO or PXE:
	// it requires install instructions.
	ModeMetal
	// ModeCloud is Talos booted from a cloud or VM image that is already installed.
	ModeCloud
)

var modeNames = [...]string{ModeUnknown: "unknown", ModeContainer: "container", ModeMetal: "metal", ModeCloud: "cloud"}

// String returns "container", "metal", "cloud" or "unknown".
func (m Mode) String() string {
	if m < 0 || int(m) >= len(modeNames) {
		return "Mode(" + strconv.Itoa(int(m)) + ")"
	}

	return modeNames[m]
}

// RequiresInstall reports whether Talos installs itself in this mode (metal).
// It implements machinery's validation.RuntimeMode.
func (m Mode) RequiresInstall() bool { return m == ModeMetal }

// InContainer reports whether Talos runs in a container in this mode.
// It implements machinery's validation.RuntimeMode.
func (m Mode) InContainer() bool { return m == ModeContainer }

// MarshalText implements encoding.TextMarshaler; ModeUnknown and unknown values are an error.
func (m Mode) MarshalText() ([]byte, error) {
	if m <= ModeUnknown || int(m) >= len(modeNames) {
		return nil, fmt.Errorf("marshal mode: %w: %s", ErrInvalid, m)
	}

	return []byte(modeNames[m]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler: "container", "metal" or "cloud".
func (m *Mode) UnmarshalText(text []byte) error {
	i := slices.Index(modeNames[:], string(text))
	if i <= int(ModeUnknown) {
		return fmt.Errorf("unmarshal mode: %w: %q, want container, metal or cloud", ErrInvalid, text)
	}

	*m = Mode(i)

	return nil
}

var _ validation.RuntimeMode = ModeMetal

// Validate validates a machine config for a runtime mode: machinery's validation plus the
// checks machinery leaves out (an endpoint that is not https://host:port; a custom CNI without
// URLs; everything kubespan.Validate checks: KubeSpan without cluster discovery, cluster id or
// secret, MTU and filters, the legacy field and the document both set). Warnings are returned as values, never
// printed. Every problem is reported at once: err is an errors.Join of *FieldError values whose
// Path is the document ("v1alpha1" or a document kind) followed by the field path where it is
// known, for example "v1alpha1.cluster.controlPlane.endpoint".
func Validate(cfg coreconfig.Provider, mode Mode) (warnings []string, err error) {
	if cfg == nil {
		return nil, fmt.Errorf("validate config: %w: nil config", ErrInvalid)
	}

	if mode <= ModeUnknown || int(mode) >= len(modeNames) {
		return nil, fmt.Errorf("validate config: %w: runtime mode %s, want container, metal or cloud", ErrInvalid, mode)
	}

	var ownWarnings []string

	own := extraChecks(cfg, &ownWarnings)

	warnings, merr := cfg.Validate(mode)

	var errs []error

	for _, fe := range flattenMachineryErrors(cfg, merr) {
		// Ours says the same about the same field (or an element of the same list), with
		// a suggestion.
		if slices.ContainsFunc(own, func(o *FieldError) bool {
			return o.Path == fe.Path || strings.HasPrefix(o.Path, fe.Path+"[")
		}) {
			continue
		}

		errs = append(errs, fe)
	}

	for _, fe := range own {
		errs = append(errs, fe)
	}

	slices.SortStableFunc(errs, func(a, b error) int {
		return strings.Compare(a.(*FieldError).Path, b.(*FieldError).Path) //nolint:forcetypeassert,errorlint
	})

	return append(slices.Clone(warnings), ownWarnings...), errors.Join(errs...)
}

// unjoin returns the errors joined in err (err itself when it is not a join; none when nil).
func unjoin(err error) []error {
	if err == nil {
		return nil
	}

	if j, ok := err.(interface{ Unwrap() []error }); ok { //nolint:errorlint // a join, not a wrap
		return j.Unwrap()
	}

	return []error{err}
}

// extraChecks are the checks machinery does not do; their warnings are added to warnings.
func extraChecks(cfg coreconfig.Provider, warnings *[]string) []*FieldError {
	var out []*FieldError

	v := rawV1Alpha1(cfg)

	if v != nil && v.ClusterConfig != nil {
		cc := v.ClusterConfig

		if cc.ControlPlane != nil && cc.ControlPlane.Endpoint != nil && cc.ControlPlane.Endpoint.URL != nil {
			if err := checkEndpoint("v1alpha1.cluster.controlPlane.endpoint", cc.ControlPlane.Endpoint.URL.String()); err != nil {
				var fe *FieldError
				if errors.As(err, &fe) {
					out = append(out, fe)
				}
			}
		}

		if cc.ClusterNetwork != nil && cc.ClusterNetwork.CNI != nil {
			cni := cc.ClusterNetwork.CNI
			if cni.CNIName == "custom" && len(cni.CNIUrls) == 0 {
				out = append(out, &FieldError{Path: "v1alpha1.cluster.network.cni.urls", Err: fmt.Errorf("%w: cni custom needs at least one manifest URL", ErrCNI)})
			}

			if cni.CNIName != "custom" && len(cni.CNIUrls) > 0 {
				out = append(out, &FieldError{
					Path: "v1alpha1.cluster.network.cni.urls", Value: strings.Join(cni.CNIUrls, ","),
					Err:        fmt.Errorf("%w: urls are only used with cni custom, not %q", ErrCNI, cni.CNIName),
					Suggestion: `cni name "custom", or remove the urls`,
				})
			}
		}
	}

	// KubeSpan: machinery checks discovery, cluster id and secret only for the legacy
	// v1alpha1 field, and nothing else; package kubespan checks the rest.
	if ksWarnings, err := kubespan.Validate(cfg); err != nil || len(ksWarnings) > 0 {
		*warnings = append(*warnings, ksWarnings...)

		var fe *kubespan.FieldError
		for _, e := range unjoin(err) {
			if errors.As(e, &fe) {
				out = append(out, &FieldError{Path: fe.Document + "." + fe.Path, Err: fmt.Errorf("%w: %w", ErrInvalid, fe.Err), Suggestion: fe.Fix})
			}
		}
	}

	return out
}

func rawV1Alpha1(cfg coreconfig.Provider) *v1alpha1.Config {
	for _, doc := range cfg.Documents() {
		if v, ok := doc.(*v1alpha1.Config); ok {
			return v
		}
	}

	return nil
}

// machineryPath maps one of machinery's validation messages to the field it is about, inside
// a document: doc is "v1alpha1" or a document kind. The specific entries come first and win
// over a path the message mentions (".cluster.discovery should be enabled when
// .machine.network.kubespan is enabled" is about cluster.discovery.enabled).
type machineryPath struct {
	re   *regexp.Regexp
	doc  string
	path string
}

// machinerySpecificPaths name the field of messages whose wording is misleading or shared
// between documents (the legacy KubeSpan fields and the KubeSpanConfig document).
var machinerySpecificPaths = []machineryPath{
	{regexp.MustCompile(`^\.cluster\.discovery should be enabled`), "v1alpha1", "cluster.discovery.enabled"},
	{regexp.MustCompile(`^kubespan link MTU`), "v1alpha1", "machine.network.kubespan.mtu"},
	{regexp.MustCompile(`^KubeSpan endpoint filter`), "v1alpha1", "machine.network.kubespan.filters.endpoints"},
	{regexp.MustCompile(`^KubeSpan exclude advertised networks filter`), "v1alpha1", "machine.network.kubespan.filters.excludeAdvertisedNetworks"},
	{regexp.MustCompile(`^kubespan is already configured in v1alpha1`), "v1alpha1", "machine.network.kubespan"},
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

// pathInMessage finds a field path machinery writes in parentheses: "(.machine.features.hostDNS)".
var pathInMessage = regexp.MustCompile(`\(\.?([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z0-9\[\]]+)+)[,)]`)

// dottedPathInMessage finds a field path machinery writes inline: "requires .cluster.id".
var dottedPathInMessage = regexp.MustCompile(`(?:^|\s)\.((?:cluster|machine)(?:\.[A-Za-z0-9]+)+)`)

// flattenMachineryErrors turns machinery's validation error into one *FieldError per problem.
// machinery returns a multierror of per-document errors, "v1alpha1.Config: " or
// "Kind[/name]: " wrapping a multierror or an errors.Join of the document's problems; the
// cross-document checks come without a prefix and are about v1alpha1. Only the prefixes of
// cfg's own documents are taken for documents, so a message such as "invalid controlplane
// endpoint: ..." keeps its text.
func flattenMachineryErrors(cfg coreconfig.Provider, err error) []*FieldError {
	docs := map[string]string{"v1alpha1.Config": "v1alpha1"}

	for _, d := range cfg.Documents() {
		if _, ok := d.(*v1alpha1.Config); ok {
			continue
		}

		id := d.Kind()
		if named, ok := d.(configconfig.NamedDocument); ok {
			id += "/" + named.Name()
		}

		docs[id] = id
	}

	var out []*FieldError

	var walk func(doc string, err error)

	walk = func(doc string, err error) {
		if err == nil {
			return
		}

		if list := multiErrors(err); list != nil {
			for _, e := range list {
				walk(doc, e)
			}

			return
		}

		if inner := errors.Unwrap(err); inner != nil && doc == "" {
			if id, ok := strings.CutSuffix(err.Error(), ": "+inner.Error()); ok && docs[id] != "" {
				walk(docs[id], inner)

				return
			}
		}

		if doc == "" {
			doc = "v1alpha1"
		}

		out = append(out, machineryFieldError(doc, err))
	}

	walk("", err)

	return out
}

// multiErrors returns the errors of a hashicorp multierror or an errors.Join, else nil.
func multiErrors(err error) []error {
	switch e := err.(type) { //nolint:errorlint // the list itself, not a wrapped one
	case interface{ WrappedErrors() []error }:
		return e.WrappedErrors()
	case interface{ Unwrap() []error }:
		return e.Unwrap()
	}

	return nil
}

func machineryFieldError(doc string, err error) *FieldError {
	msg := err.Error()

	path := matchPath(machinerySpecificPaths, doc, msg)
	if path == "" {
		path = pathOfMessage(doc, msg)
	}

	full := doc
	if path != "" {
		full += "." + path
	}

	return &FieldError{Path: full, Err: fmt.Errorf("%w: %w", ErrInvalid, err)}
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
