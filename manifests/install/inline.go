package install

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/talospatch/talospatch/internal/machineryseam"

	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/types/k8s"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/patches"
)

// ErrInlineMismatch: control-plane configs do not carry identical inline manifests. Errors
// carrying it are [*InlineMismatchError] values.
var ErrInlineMismatch = errors.New("control-plane configs carry different inline manifests")

// InlineOptions are the optional settings of [Inline].
type InlineOptions struct {
	// Name is the inline manifest's name (Talos applies it as manifest "99-NAME"). Empty: the
	// release name ("cilium").
	Name string
}

// InlinePlan is method 4 of the guide: the manifest inside the control-plane configs, applied
// by Talos at bootstrap (cluster.inlineManifests up to contract v1.13, a
// KubeInlineManifestConfig document on v1.14). Every control-plane config must carry the same
// inline manifests; worker configs need none.
type InlinePlan struct {
	// Manifest is the inline manifest: its name and the render's YAML.
	Manifest patches.Manifest
	// Layers are the config patches of the method (see [config.Configs.Patch]): for every
	// node no CNI, and kube-proxy disabled when the cluster disables it; for control planes
	// the inline manifest (patches.InlineManifest in the contract's form, added or replacing
	// one of the same name). Worker configs get no inline manifest.
	Layers config.Layers
	// Size reports the manifest against the limits of Talos and its platforms; the config
	// limits are checked against the manifest alone, a lower bound of the config size (see
	// [CheckSizes] for a whole config).
	Size SizeReport
}

// Inline returns the inline manifest of the render r, the config patches of every role of
// cluster c (the inline manifest for control planes) and a size report.
func Inline(c config.Cluster, r *manifests.Rendered, opts InlineOptions) (InlinePlan, error) {
	if err := check("inline", c, r, ""); err != nil {
		return InlinePlan{}, fmt.Errorf("inline method: %w", err)
	}
	name := opts.Name
	if name == "" {
		name = r.ReleaseName
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return InlinePlan{}, fmt.Errorf("inline method: %w: manifest name %q: %s", ErrInvalidMethodOptions, name, strings.Join(errs, "; "))
	}
	contents := string(r.YAML)
	layers, err := nodeLayers(c)
	if err != nil {
		return InlinePlan{}, fmt.Errorf("inline method: %w", err)
	}
	cpPatch, err := patches.InlineManifest(c.Contract, name, contents)
	if err != nil {
		return InlinePlan{}, fmt.Errorf("inline method: %w: %w", ErrInvalidMethodOptions, err)
	}
	layers.ControlPlane = []patches.Patch{cpPatch}
	return InlinePlan{
		Manifest: patches.Manifest{Name: name, Contents: contents},
		Layers:   layers,
		Size:     CheckSizes(r.YAML, r.Objects, nil),
	}, nil
}

// NodeConfig is a named machine config, for [CheckInlineManifests].
type NodeConfig struct {
	// Name names the config in errors, for example a node name or a file name.
	Name string
	// Config is the machine config (multi-document YAML).
	Config []byte
}

// InlineMismatch is one difference found by [CheckInlineManifests].
type InlineMismatch struct {
	// Config is the name of the config that differs from the first control-plane config.
	Config string
	// Manifest is the inline manifest's name.
	Manifest string
	// Problem is "missing" (the first config has it, this one not), "extra" (the other way
	// round), "different contents", "duplicate name" (the config carries the name twice,
	// which Talos rejects) or "in both forms" (a KubeInlineManifestConfig document and a
	// cluster.inlineManifests entry with the same name: Talos accepts both, and at run time
	// one silently overwrites the other).
	Problem string
}

// InlineMismatchError lists every difference between the inline manifests of control-plane
// configs. It matches [ErrInlineMismatch].
type InlineMismatchError struct {
	// Reference is the name of the first control-plane config, which the others are compared
	// with.
	Reference string
	// Mismatches are the differences, by config (in input order), then manifest name.
	Mismatches []InlineMismatch
}

// Error implements error.
func (e *InlineMismatchError) Error() string {
	parts := make([]string, len(e.Mismatches))
	for i, m := range e.Mismatches {
		parts[i] = fmt.Sprintf("%s: %s %s", m.Config, m.Manifest, m.Problem)
	}
	return fmt.Sprintf("%v (compared with %s): %s; Talos needs the same inline manifests on every control-plane node, so render once and apply the same patch to all of them",
		ErrInlineMismatch, e.Reference, strings.Join(parts, "; "))
}

// Is reports whether target is [ErrInlineMismatch].
func (e *InlineMismatchError) Is(target error) bool { return target == ErrInlineMismatch }

// CheckInlineManifests checks that the control-plane configs among configs carry identical
// inline manifests (same names, same contents; order does not matter, Talos applies them by
// name) and none twice. Worker configs are skipped: Talos applies inline manifests on
// control-plane nodes only. It returns an [*InlineMismatchError] listing every difference,
// or an error naming a config that cannot be parsed.
func CheckInlineManifests(configs ...NodeConfig) error {
	var (
		refName string
		ref     map[string]string
		out     []InlineMismatch
	)
	for _, nc := range configs {
		provider, err := machineryseam.Load(nc.Config)
		if err != nil {
			return fmt.Errorf("check inline manifests: config %s: %w", nc.Name, err)
		}
		switch config.RoleOf(provider) {
		case config.RoleControlPlane:
		case config.RoleWorker:
			continue
		default:
			return fmt.Errorf("check inline manifests: config %s: its machine type is neither control plane nor worker", nc.Name)
		}
		got := map[string]string{}
		for _, m := range provider.K8sInlineManifestConfigs() {
			got[m.Name()] = m.Contents()
		}
		out = append(out, inlineNameProblems(nc.Name, provider)...)
		if ref == nil {
			refName, ref = nc.Name, got
			continue
		}
		names := make([]string, 0, len(ref)+len(got))
		for n := range ref {
			names = append(names, n)
		}
		for n := range got {
			if _, ok := ref[n]; !ok {
				names = append(names, n)
			}
		}
		slices.Sort(names)
		for _, n := range names {
			want, inRef := ref[n]
			have, inGot := got[n]
			switch {
			case !inGot:
				out = append(out, InlineMismatch{Config: nc.Name, Manifest: n, Problem: "missing"})
			case !inRef:
				out = append(out, InlineMismatch{Config: nc.Name, Manifest: n, Problem: "extra"})
			case want != have:
				out = append(out, InlineMismatch{Config: nc.Name, Manifest: n, Problem: "different contents"})
			}
		}
	}
	if len(out) > 0 {
		return &InlineMismatchError{Reference: refName, Mismatches: out}
	}
	return nil
}

// inlineNameProblems reports the inline manifest names a config defines twice: twice in one
// form ("duplicate name", which Talos rejects), or once as a KubeInlineManifestConfig document
// and once in cluster.inlineManifests ("in both forms", which Talos accepts and resolves by
// silently dropping one), in name order.
func inlineNameProblems(name string, provider coreconfig.Provider) []InlineMismatch {
	documents, legacy := map[string]int{}, map[string]int{}
	for _, d := range provider.Documents() {
		if m, ok := d.(*k8s.KubeInlineManifestConfigV1Alpha1); ok {
			documents[m.MetaName]++
		}
	}
	if v := provider.RawV1Alpha1(); v != nil && v.ClusterConfig != nil {
		for _, m := range v.ClusterConfig.ClusterInlineManifests {
			legacy[m.InlineManifestName]++
		}
	}
	names := map[string]bool{}
	for n := range documents {
		names[n] = true
	}
	for n := range legacy {
		names[n] = true
	}
	var out []InlineMismatch
	for _, n := range slices.Sorted(maps.Keys(names)) {
		switch {
		case documents[n] > 0 && legacy[n] > 0:
			out = append(out, InlineMismatch{Config: name, Manifest: n, Problem: "in both forms"})
		case documents[n] > 1 || legacy[n] > 1:
			out = append(out, InlineMismatch{Config: name, Manifest: n, Problem: "duplicate name"})
		}
	}
	return out
}

// Size limits users hit with inline manifests.
const (
	// MaintenanceAPILimit is the largest machine config the maintenance-mode API accepts
	// (`talosctl apply-config --insecure`; gRPC message size): 4 MiB.
	MaintenanceAPILimit = 4 << 20
	// AWSUserDataLimit is the largest EC2 user data: 16 KiB.
	AWSUserDataLimit = 16 << 10
	// HetznerUserDataLimit is the largest Hetzner Cloud user data: 32 KiB.
	HetznerUserDataLimit = 32 << 10
	// EtcdObjectLimit is the largest Kubernetes object etcd stores: 1.5 MiB.
	EtcdObjectLimit = 3 << 19
)

// SizeCheck is one size compared with one limit.
type SizeCheck struct {
	// Limit names the limit, for example "AWS user data".
	Limit string
	// LimitBytes is the limit in bytes.
	LimitBytes int
	// Subject is what was measured: "machine config", "inline manifest (lower bound of the
	// machine config)" or "object Kind namespace/name".
	Subject string
	// Bytes is the measured size.
	Bytes int
	// Fits reports Bytes <= LimitBytes.
	Fits bool
}

// String returns a line like "AWS user data (16384 bytes): machine config 70321 bytes: too large".
func (c SizeCheck) String() string {
	verdict := "fits"
	if !c.Fits {
		verdict = "too large"
	}
	return fmt.Sprintf("%s (%d bytes): %s %d bytes: %s", c.Limit, c.LimitBytes, c.Subject, c.Bytes, verdict)
}

// SizeReport compares an inline manifest and the config that carries it with the limits of
// Talos and its platforms (the constants above).
type SizeReport struct {
	// ManifestBytes is the size of the inline manifest's contents.
	ManifestBytes int
	// ConfigBytes is the size of the machine config; zero when no config was given.
	ConfigBytes int
	// LargestObject is the manifest's largest object and LargestObjectBytes its JSON size.
	LargestObject      manifests.ObjectRef
	LargestObjectBytes int
	// Checks are the comparisons: maintenance API, AWS user data, Hetzner user data (each
	// against the config, or the manifest alone when no config was given), then the etcd
	// object limit against the largest object.
	Checks []SizeCheck
}

// Exceeded returns the checks that do not fit.
func (r SizeReport) Exceeded() []SizeCheck {
	var out []SizeCheck
	for _, c := range r.Checks {
		if !c.Fits {
			out = append(out, c)
		}
	}
	return out
}

// String returns the checks, one per line.
func (r SizeReport) String() string {
	var b strings.Builder
	for _, c := range r.Checks {
		b.WriteString(c.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// CheckSizes measures an inline manifest (its YAML and its objects) and, when cfg is not
// nil, the machine config that carries it, against the limits: the maintenance API, AWS and
// Hetzner user data for the config, the etcd object limit for each object. Without cfg the
// manifest alone stands for the config (a lower bound: a control-plane config is about 11 KB
// more). It is pure.
func CheckSizes(manifest []byte, objs []*unstructured.Unstructured, cfg []byte) SizeReport {
	r := SizeReport{ManifestBytes: len(manifest), ConfigBytes: len(cfg)}
	subject, size := "machine config", len(cfg)
	if cfg == nil {
		subject, size = "inline manifest (lower bound of the machine config)", len(manifest)
	}
	for _, l := range []struct {
		name  string
		bytes int
	}{
		{"maintenance API", MaintenanceAPILimit},
		{"AWS user data", AWSUserDataLimit},
		{"Hetzner user data", HetznerUserDataLimit},
	} {
		r.Checks = append(r.Checks, SizeCheck{Limit: l.name, LimitBytes: l.bytes, Subject: subject, Bytes: size, Fits: size <= l.bytes})
	}
	for _, o := range objs {
		data, err := json.Marshal(o.Object)
		if err != nil {
			continue // an unstructured object always marshals; nothing to measure otherwise
		}
		if n := len(bytes.TrimSpace(data)); n > r.LargestObjectBytes {
			r.LargestObject, r.LargestObjectBytes = manifests.RefOf(o), n
		}
	}
	if r.LargestObjectBytes > 0 {
		r.Checks = append(r.Checks, SizeCheck{
			Limit: "etcd object", LimitBytes: EtcdObjectLimit,
			Subject: "object " + r.LargestObject.String(), Bytes: r.LargestObjectBytes,
			Fits: r.LargestObjectBytes <= EtcdObjectLimit,
		})
	}
	return r
}
