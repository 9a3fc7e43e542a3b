package config

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/configpatcher"
	"github.com/siderolabs/talos/pkg/machinery/config/container"
	"github.com/siderolabs/talos/pkg/machinery/config/merge"
	"github.com/siderolabs/talos/pkg/machinery/config/types/v1alpha1"
	"sigs.k8s.io/yaml"

	"github.com/talospatch/talospatch/patches"
)

// NodeSettings are what usually differs between the nodes of one role — labels, annotations,
// taints and extra certificate SANs — as plain data: the content of the typical per-node patch.
// [NodeSettings.Patch] is that patch; [Configs.NodeWithSettings] applies the settings with the
// same strategic merge, but from typed values instead of patch text, which makes building the
// configs of a large fleet several times faster (parsing a patch costs more than applying it).
//
// The zero NodeSettings changes nothing. Maps and slices are copied where they are used; a
// NodeSettings is never modified.
type NodeSettings struct {
	// Labels are added to the node's labels (machine.nodeLabels); a label the role config
	// already has is overwritten.
	Labels map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	// Annotations are added to the node's annotations (machine.nodeAnnotations), overwriting.
	Annotations map[string]string `yaml:"annotations,omitempty" json:"annotations,omitempty"`
	// Taints are added to the node's taints (machine.nodeTaints, "value:Effect"), overwriting.
	Taints map[string]string `yaml:"taints,omitempty" json:"taints,omitempty"`
	// CertSANs are appended to the Talos API certificate SANs (machine.certSANs), as a
	// strategic merge appends lists.
	CertSANs []string `yaml:"certSANs,omitempty" json:"certSANs,omitempty"`
}

// IsZero reports whether s changes nothing.
func (s NodeSettings) IsZero() bool {
	return len(s.Labels) == 0 && len(s.Annotations) == 0 && len(s.Taints) == 0 && len(s.CertSANs) == 0
}

// Patch returns the strategic merge patch of the settings: the text to pass to talosctl
// --config-patch for this node. Applying it gives exactly what [Configs.NodeWithSettings]
// gives. The zero NodeSettings has no patch and returns the zero Patch.
func (s NodeSettings) Patch() (patches.Patch, error) {
	if s.IsZero() {
		return patches.Patch{}, nil
	}

	machine := map[string]any{}

	for key, value := range map[string]map[string]string{
		"nodeLabels":      s.Labels,
		"nodeAnnotations": s.Annotations,
		"nodeTaints":      s.Taints,
	} {
		if len(value) > 0 {
			machine[key] = value
		}
	}

	if len(s.CertSANs) > 0 {
		machine["certSANs"] = s.CertSANs
	}

	text, err := yaml.Marshal(map[string]any{"machine": machine})
	if err != nil {
		return patches.Patch{}, fmt.Errorf("node settings patch: %w", err)
	}

	p, err := patches.Strategic(string(text))
	if err != nil {
		return patches.Patch{}, fmt.Errorf("node settings patch: %w", err)
	}

	return p, nil
}

// document returns the settings as the v1alpha1 patch document that parsing [NodeSettings.Patch]
// gives, with copies of the maps and slices.
func (s NodeSettings) document() *v1alpha1.Config {
	m := &v1alpha1.MachineConfig{}

	if len(s.Labels) > 0 {
		m.MachineNodeLabels = maps.Clone(s.Labels)
	}

	if len(s.Annotations) > 0 {
		m.MachineNodeAnnotations = maps.Clone(s.Annotations)
	}

	if len(s.Taints) > 0 {
		m.MachineNodeTaints = maps.Clone(s.Taints)
	}

	if len(s.CertSANs) > 0 {
		m.MachineCertSANs = slices.Clone(s.CertSANs)
	}

	return &v1alpha1.Config{MachineConfig: m}
}

// mergeSettings merges the settings' document into cfg, a deep copy of its own that no one else
// holds (made by deepClone, which also copies the maps machinery's DeepCopy shares), exactly as configpatcher.StrategicMerge merges a patch document into the v1alpha1
// document, but in place: StrategicMerge would clone cfg once more.
func mergeSettings(cfg coreconfig.Provider, s NodeSettings) (coreconfig.Provider, error) {
	if ctr, ok := cfg.(*container.Container); ok && !ctr.Readonly() && ctr.RawV1Alpha1() != nil {
		if err := merge.Merge(ctr.RawV1Alpha1(), s.document()); err != nil {
			return nil, err
		}

		return ctr, nil
	}

	patch, err := container.New(s.document())
	if err != nil {
		return nil, err
	}

	return configpatcher.StrategicMerge(cfg, configpatcher.NewStrategicMergePatch(patch))
}

// NodeWithSettings returns the config of one node like [Configs.Node], with the node's settings
// applied between the role layer and the node's own patches:
//
//	cs.NodeWithSettings(role, l, s, node...) == cs.Node(role, l, s.Patch(), node...)
//
// but without parsing the settings as patch text. cs is not modified. On error there is no
// output; a failing patch gives a *LayerError.
func (cs Configs) NodeWithSettings(role Role, l Layers, s NodeSettings, node ...patches.Patch) (coreconfig.Provider, error) {
	cfg, err := cs.Node(role, l)
	if err != nil {
		return nil, err
	}

	if !s.IsZero() {
		if cfg, err = mergeSettings(cfg, s); err != nil {
			return nil, fmt.Errorf("%s node config: node settings: %w", role, err)
		}
	}

	if len(node) == 0 {
		return cfg, nil
	}

	out, err := patches.ApplyProvider(cfg, node...)
	if err != nil {
		le := &LayerError{Layer: "node", Err: err}

		var pe *patches.Error
		if errors.As(err, &pe) {
			le.Index = pe.Patch
		}

		return nil, fmt.Errorf("%s node config: %w", role, le)
	}

	return out, nil
}
