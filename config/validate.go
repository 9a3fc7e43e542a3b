package config

import (
	"cmp"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/talospatch/talospatch/internal/machineryseam"

	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/types/cluster"
	"github.com/siderolabs/talos/pkg/machinery/config/types/k8s"
	"github.com/siderolabs/talos/pkg/machinery/config/types/v1alpha1"
	"github.com/siderolabs/talos/pkg/machinery/config/validation"

	"github.com/talospatch/talospatch/kubespan/sections"
	"github.com/talospatch/talospatch/talos"
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

// Validate validates a machine config for a runtime mode, as a client does (talosctl validate):
// machinery's client-side validation plus the checks machinery leaves out (an endpoint that is
// not https://host:port; a custom CNI without URLs; everything sections.Validate (kubespan/sections) checks:
// KubeSpan without cluster discovery, cluster id or secret, MTU and filters, the legacy field
// and the document both set). Kubernetes versions are checked per contract by [Generate], not
// here: a config does not record its contract, and machinery would check them against its own
// Talos version.
//
// Every problem is reported at once: err is a talos.Join of *talos.FieldError values, each
// naming the document and the RFC 6901 path of the field where it is known. On contract v1.14
// a v1alpha1 field beside the document that replaced it (cluster.network, cluster.proxy,
// cluster.discovery, cluster.id/secret, machine.features.kubePrism, machine.nodeLabels,
// machine.network.kubespan beside a KubeSpanConfig, ...) is reported at the v1alpha1 field's
// path with the document and the recipe to use instead, and a control-plane-only document in a
// worker config is reported per document with the fix. Warnings are values with paths.
func Validate(cfg coreconfig.Provider, mode Mode) (warnings []talos.Warning, err error) {
	if cfg == nil {
		return nil, fmt.Errorf("validate config: %w: nil config", ErrInvalid)
	}

	if mode <= ModeUnknown || int(mode) >= len(modeNames) {
		return nil, fmt.Errorf("validate config: %w: runtime mode %s, want container, metal or cloud", ErrInvalid, mode)
	}

	own, ownWarnings := extraChecks(cfg)

	machineryWarnings, merr := cfg.ValidateAsClient(mode, validation.WithLocal())

	var errs []error

	for _, fe := range machineryFieldErrors(cfg, merr) {
		// Ours says the same about the same field (or an element of the same list), with
		// a fix.
		if slices.ContainsFunc(own, func(o *talos.FieldError) bool {
			return o.Document == fe.Document && (o.Path == fe.Path || strings.HasPrefix(o.Path, fe.Path+"/"))
		}) {
			continue
		}

		errs = append(errs, fe)
	}

	for _, fe := range own {
		errs = append(errs, fe)
	}

	slices.SortStableFunc(errs, func(a, b error) int {
		fa, fb := a.(*talos.FieldError), b.(*talos.FieldError)

		return cmp.Or(strings.Compare(fa.Document.Kind, fb.Document.Kind), strings.Compare(fa.Document.Name, fb.Document.Name), strings.Compare(fa.Path, fb.Path))
	})

	for _, w := range machineryWarnings {
		// machinery's warnings do not say which document they are about.
		warnings = append(warnings, talos.Warning{Message: w})
	}

	return append(warnings, ownWarnings...), talos.Join(errs...)
}

// unjoin returns the errors joined in err (err itself when it is not a join; none when nil).
func unjoin(err error) []error {
	if err == nil {
		return nil
	}

	if j, ok := err.(interface{ Unwrap() []error }); ok { // a join, not a wrap
		return j.Unwrap()
	}

	return []error{err}
}

// extraChecks are the checks machinery does not do.
func extraChecks(cfg coreconfig.Provider) ([]*talos.FieldError, []talos.Warning) {
	var out []*talos.FieldError

	v := rawV1Alpha1(cfg)

	if v != nil && v.ClusterConfig != nil {
		cc := v.ClusterConfig

		if cc.ControlPlane != nil && cc.ControlPlane.Endpoint != nil && cc.ControlPlane.Endpoint.URL != nil {
			if err := checkEndpoint("/cluster/controlPlane/endpoint", cc.ControlPlane.Endpoint.URL.String()); err != nil {
				var fe *talos.FieldError
				if errors.As(err, &fe) {
					fe.Document = v1Doc
					out = append(out, fe)
				}
			}
		}

		if cc.ClusterNetwork != nil && cc.ClusterNetwork.CNI != nil {
			cni := cc.ClusterNetwork.CNI
			if cni.CNIName == "custom" && len(cni.CNIUrls) == 0 {
				out = append(out, &talos.FieldError{Document: v1Doc, Path: "/cluster/network/cni/urls", Err: fmt.Errorf("%w: cni custom needs at least one manifest URL", ErrCNI)})
			}

			if cni.CNIName != "custom" && len(cni.CNIUrls) > 0 {
				out = append(out, &talos.FieldError{
					Document: v1Doc, Path: "/cluster/network/cni/urls", Value: strings.Join(cni.CNIUrls, ","),
					Err: fmt.Errorf("%w: urls are only used with cni custom, not %q", ErrCNI, cni.CNIName),
					Fix: `cni name "custom", or remove the urls`,
				})
			}
		}
	}

	out = append(out, documentChecks(cfg)...)

	// KubeSpan: machinery checks discovery, cluster id and secret only for the legacy
	// v1alpha1 field, and nothing else; package kubespan checks the rest.
	ksWarnings, err := sections.Validate(cfg)

	for _, e := range unjoin(err) {
		var fe *talos.FieldError
		if errors.As(e, &fe) {
			out = append(out, &talos.FieldError{Document: fe.Document, Path: fe.Path, Value: fe.Value, Err: fmt.Errorf("%w: %w", ErrInvalid, fe.Err), Fix: fe.Fix})
		}
	}

	return out, ksWarnings
}

// documentChecks are the checks of v1.14's documents that machinery leaves out: an inline
// manifest name both in a KubeInlineManifestConfig document and in cluster.inlineManifests
// (Talos accepts both, and at run time one silently overwrites the other), and a
// DiscoveryIdentityConfig whose secret is not 32 bytes of standard base64 (it is the AES-256 key
// of discovery data and the KubeSpan pre-shared key).
func documentChecks(cfg coreconfig.Provider) []*talos.FieldError {
	var out []*talos.FieldError

	legacy := map[string]bool{}

	// the legacy field is what this compares
	if v := rawV1Alpha1(cfg); v != nil && v.ClusterConfig != nil {
		for _, m := range v.ClusterConfig.ClusterInlineManifests {
			legacy[m.InlineManifestName] = true
		}
	}

	for _, d := range cfg.Documents() {
		switch doc := d.(type) {
		case *k8s.KubeInlineManifestConfigV1Alpha1:
			if legacy[doc.MetaName] {
				out = append(out, &talos.FieldError{
					Document: talos.Document{Kind: doc.Kind(), Name: doc.MetaName}, Path: "/name", Value: doc.MetaName,
					Err: fmt.Errorf("%w: inline manifest %q is also in v1alpha1 cluster.inlineManifests; Talos accepts both and silently drops one at run time", ErrInvalid, doc.MetaName),
					Fix: "remove the cluster.inlineManifests entry (patches.InlineManifest on v1.14 replaces it)",
				})
			}
		case *cluster.DiscoveryIdentityConfigV1Alpha1:
			if b, err := base64.StdEncoding.DecodeString(doc.MetaClusterSecret); doc.MetaClusterSecret != "" && (err != nil || len(b) != 32) {
				out = append(out, &talos.FieldError{
					Document: talos.Document{Kind: doc.Kind()}, Path: "/clusterSecret",
					Err: fmt.Errorf("%w: the cluster secret is not 32 bytes of standard base64 (it keys discovery data and KubeSpan)", ErrInvalid),
					Fix: "the secret of the cluster's secrets bundle, or `openssl rand -base64 32` for a cluster that never had one",
				})
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

// machineryFieldErrors turns machinery's validation error into *talos.FieldError values, one
// per problem (the mapping of machinery's messages to fields is machineryseam.Messages), with
// ErrInvalid and the fix where one is known.
func machineryFieldErrors(cfg coreconfig.Provider, err error) []*talos.FieldError {
	var out []*talos.FieldError

	for _, m := range machineryseam.Messages(cfg, err) {
		fe := &talos.FieldError{Document: m.Document, Path: m.Path, Err: fmt.Errorf("%w: %w", ErrInvalid, m.Err)}

		switch {
		case m.ControlPlaneOnly:
			fe.Err = fmt.Errorf("%w: %s is only allowed on control plane machines", ErrInvalid, m.Document.Kind)
			fe.Fix = "remove it from worker configs: give the patch that adds it as a control-plane patch (talosctl --config-patch-control-plane, config.Layers.ControlPlane)"
		case m.Replacement != "":
			fe.Fix = fmt.Sprintf("remove the v1alpha1 field; on contract v1.14 this setting is the %s document: use %s", m.Replacement, m.Recipe)
		}

		out = append(out, fe)
	}

	return out
}
