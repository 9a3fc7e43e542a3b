package config

import (
	"encoding"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"
	configconfig "github.com/siderolabs/talos/pkg/machinery/config/config"
	"github.com/siderolabs/talos/pkg/machinery/config/types/k8s"
	"github.com/siderolabs/talos/pkg/machinery/config/types/network"
	"github.com/siderolabs/talos/pkg/machinery/config/types/v1alpha1"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	"github.com/siderolabs/talos/pkg/machinery/labels"
	"github.com/siderolabs/talos/pkg/machinery/nethelpers"
	"go.yaml.in/yaml/v4"

	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

// NodeSettings are what usually differs between the nodes of one role — hostname, labels,
// annotations, taints and extra certificate SANs — as plain data: the content of the typical
// per-node patch. [NodeSettings.Patch] is that patch for a contract; a [Builder] applies it to a
// node (as that patch, or, for a node without patches of its own, merged and encoded straight
// from typed values, which makes building the configs of a large fleet several times faster:
// parsing a patch costs more than applying it; the bytes are the same).
//
// Each setting is written in the form of the config it is applied to: on contract v1.14 labels,
// annotations and taints go into the KubeNodeConfig document (machine.nodeLabels on a v1.14
// config fails: ".machine.nodeLabels is already set in v1alpha1 config"), and from v1.12 the
// hostname goes into the HostnameConfig document with auto off ("'auto' and 'hostname' cannot
// be set at the same time"); before, into machine.nodeLabels, ... and machine.network.hostname.
// certSANs stay in the v1alpha1 document on every contract.
//
// The zero NodeSettings changes nothing. Maps and slices are copied where they are used; a
// NodeSettings is never modified.
type NodeSettings struct {
	// Hostname is the node's static hostname: lowercase letters, digits and "-", at most 63
	// characters (a fully qualified name has dots between such labels, 253 at most). Empty:
	// the role config's (a stable generated hostname from v1.12).
	Hostname string `yaml:"hostname,omitempty" json:"hostname,omitempty"`
	// Labels are added to the node's labels, overwriting a label the role config already has.
	// Keys and values are what Kubernetes accepts for labels.
	Labels map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	// Annotations are added to the node's annotations, overwriting. Keys are what Kubernetes
	// accepts for annotation keys.
	Annotations map[string]string `yaml:"annotations,omitempty" json:"annotations,omitempty"`
	// Taints are added to the node's taints, overwriting: key to "value:Effect" or "Effect",
	// where Effect is NoSchedule, PreferNoSchedule or NoExecute.
	Taints map[string]string `yaml:"taints,omitempty" json:"taints,omitempty"`
	// CertSANs are appended to the Talos API certificate SANs (machine.certSANs), as a
	// strategic merge appends lists.
	CertSANs []string `yaml:"certSANs,omitempty" json:"certSANs,omitempty"`
}

// IsZero reports whether s changes nothing: every field is empty.
func (s NodeSettings) IsZero() bool {
	v := reflect.ValueOf(s)

	for i := range v.NumField() {
		switch f := v.Field(i); f.Kind() {
		case reflect.Map, reflect.Slice, reflect.String:
			if f.Len() > 0 {
				return false
			}
		default:
			if !f.IsZero() {
				return false
			}
		}
	}

	return true
}

// Validate reports every setting Talos or Kubernetes would refuse, at once: talos.Join of
// *talos.FieldError values (paths are RFC 6901 pointers into the settings, "/labels/<key>"),
// each matching ErrNodeSettings.
func (s NodeSettings) Validate() error {
	var errs []error

	if s.Hostname != "" {
		if problem := hostnameProblem(s.Hostname); problem != "" {
			errs = append(errs, &talos.FieldError{Path: "/hostname", Value: s.Hostname,
				Err: fmt.Errorf("%w: hostname %s", ErrNodeSettings, problem),
				Fix: "lowercase letters, digits and '-' (no '_'), at most 63 characters, for example \"worker-1\""})
		}
	}

	for _, k := range slices.Sorted(maps.Keys(s.Labels)) {
		if err := labels.ValidateQualifiedName(k); err != nil {
			errs = append(errs, &talos.FieldError{Path: talos.Pointer("labels", k), Value: k, Err: fmt.Errorf("%w: label key: %w", ErrNodeSettings, err),
				Fix: "an optional DNS subdomain prefix and \"/\", then a name of at most 63 letters, digits, '-', '_' or '.'"})
		}

		if err := labels.ValidateLabelValue(s.Labels[k]); err != nil {
			errs = append(errs, &talos.FieldError{Path: talos.Pointer("labels", k), Value: s.Labels[k], Err: fmt.Errorf("%w: label value: %w", ErrNodeSettings, err),
				Fix: "at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit (or empty)"})
		}
	}

	for _, k := range slices.Sorted(maps.Keys(s.Annotations)) {
		if err := labels.ValidateQualifiedName(k); err != nil {
			errs = append(errs, &talos.FieldError{Path: talos.Pointer("annotations", k), Value: k, Err: fmt.Errorf("%w: annotation key: %w", ErrNodeSettings, err)})
		}
	}

	for _, k := range slices.Sorted(maps.Keys(s.Taints)) {
		if err := labels.ValidateQualifiedName(k); err != nil {
			errs = append(errs, &talos.FieldError{Path: talos.Pointer("taints", k), Value: k, Err: fmt.Errorf("%w: taint key: %w", ErrNodeSettings, err)})
		}

		value, effect := labels.ParseTaint(s.Taints[k])
		if !slices.Contains(constants.ValidEffects, effect) {
			errs = append(errs, &talos.FieldError{Path: talos.Pointer("taints", k), Value: s.Taints[k],
				Err: fmt.Errorf("%w: taint without a valid effect (%q)", ErrNodeSettings, effect),
				Fix: "\"value:Effect\" or \"Effect\", with Effect one of " + strings.Join(constants.ValidEffects, ", ")})
		} else if err := labels.ValidateLabelValue(value); err != nil {
			errs = append(errs, &talos.FieldError{Path: talos.Pointer("taints", k), Value: s.Taints[k], Err: fmt.Errorf("%w: taint value: %w", ErrNodeSettings, err)})
		}
	}

	errs = append(errs, s.invalidUTF8()...)

	for i, san := range s.CertSANs {
		if strings.TrimSpace(san) == "" || strings.ContainsAny(san, " /,") {
			errs = append(errs, &talos.FieldError{Path: talos.Pointer("certSANs", strconv.Itoa(i)), Value: san, Err: fmt.Errorf("%w: not a host name or IP address", ErrNodeSettings)})
		}
	}

	return talos.Join(errs...)
}

// invalidUTF8 reports every string of the settings (field, map key or value, list item) that
// is not valid UTF-8: a config is YAML text, where such a string cannot be written as a string.
func (s NodeSettings) invalidUTF8() []error {
	var errs []error

	bad := func(path, value string) {
		errs = append(errs, &talos.FieldError{Path: path, Value: strings.ToValidUTF8(value, "\uFFFD"),
			Err: fmt.Errorf("%w: not valid UTF-8", ErrNodeSettings), Fix: "UTF-8 text"})
	}

	v, t := reflect.ValueOf(s), reflect.TypeFor[NodeSettings]()

	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")

		switch f := v.Field(i); f.Kind() {
		case reflect.String:
			if !utf8.ValidString(f.String()) {
				bad(talos.Pointer(name), f.String())
			}
		case reflect.Slice:
			for j := range f.Len() {
				if e := f.Index(j); e.Kind() == reflect.String && !utf8.ValidString(e.String()) {
					bad(talos.Pointer(name, strconv.Itoa(j)), e.String())
				}
			}
		case reflect.Map:
			if !invalidMapEntry(f) {
				continue
			}

			keys := f.MapKeys()
			slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })

			for _, k := range keys {
				if e := f.MapIndex(k); !utf8.ValidString(k.String()) || e.Kind() == reflect.String && !utf8.ValidString(e.String()) {
					bad(talos.Pointer(name, strings.ToValidUTF8(k.String(), "\uFFFD")), e.String())
				}
			}
		}
	}

	return errs
}

// invalidMapEntry reports whether a key or string value of the map m is not valid UTF-8,
// without allocating: the usual answer is no.
func invalidMapEntry(m reflect.Value) bool {
	for it := m.MapRange(); it.Next(); {
		if k, e := it.Key(), it.Value(); !utf8.ValidString(k.String()) || e.Kind() == reflect.String && !utf8.ValidString(e.String()) {
			return true
		}
	}

	return false
}

// hostnameProblem says what is wrong with a hostname ("" when nothing): RFC 1123 labels of
// lowercase letters, digits and '-', the first (the hostname itself) at most 63 characters, the
// whole at most 253.
func hostnameProblem(h string) string {
	if len(h) > 253 {
		return "is longer than 253 characters"
	}

	for i, label := range strings.Split(h, ".") {
		switch {
		case label == "":
			return "has an empty label"
		case len(label) > 63 && i == 0:
			return "is longer than 63 characters"
		case len(label) > 63:
			return "has a label longer than 63 characters"
		case label[0] == '-' || label[len(label)-1] == '-':
			return "starts or ends a label with '-'"
		}

		for _, r := range label {
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			case r >= 'A' && r <= 'Z':
				return "has uppercase letters"
			case r == '_':
				return "has an underscore"
			default:
				return fmt.Sprintf("has the character %q", r)
			}
		}
	}

	return ""
}

// settingsForms says where the settings go in a config: into the KubeNodeConfig document
// (labels, annotations, taints) and the HostnameConfig document (hostname) when the config has
// them, else into the v1alpha1 document.
type settingsForms struct {
	nodeDocument, hostnameDocument bool
}

func formsOf(cfg coreconfig.Provider) settingsForms {
	var f settingsForms

	for _, d := range cfg.Documents() {
		switch d.(type) {
		case *k8s.KubeNodeConfigV1Alpha1:
			f.nodeDocument = true
		case *network.HostnameConfigV1Alpha1:
			f.hostnameDocument = true
		}
	}

	return f
}

// formsFor is where the settings go on a contract: the documents generation writes for it.
func formsFor(c talos.Contract) settingsForms {
	return settingsForms{
		nodeDocument:     c.Form(talos.SettingNodeLabels).Document(),
		hostnameDocument: c.Form(talos.SettingHostname).Document(),
	}
}

// Patch returns the strategic merge patch of the settings in the form of contract c: the text to
// pass to talosctl --config-patch for this node. A [Builder] applies exactly this patch (in the
// form of the role config, which for a generated config is its contract's). The zero
// NodeSettings has no patch and returns the zero Patch. Invalid settings
// ([NodeSettings.Validate]) and the zero contract are errors.
func (s NodeSettings) Patch(c talos.Contract) (patches.Patch, error) {
	if err := c.Check("contract"); err != nil {
		return patches.Patch{}, fmt.Errorf("node settings patch: %w", err)
	}

	if err := s.Validate(); err != nil {
		return patches.Patch{}, fmt.Errorf("node settings patch: %w", err)
	}

	return s.patch(formsFor(c))
}

// patch returns the settings' patch in forms f; the settings are valid. The zero NodeSettings
// has the zero Patch.
func (s NodeSettings) patch(f settingsForms) (patches.Patch, error) {
	if s.IsZero() {
		return patches.Patch{}, nil
	}

	var texts []string

	for _, doc := range s.documents(f) {
		node, err := setFields(reflect.ValueOf(doc))
		if err != nil {
			return patches.Patch{}, fmt.Errorf("node settings patch: %w", err)
		}

		var b strings.Builder

		enc := yaml.NewEncoder(&b)
		enc.SetIndent(2)

		if err := enc.Encode(node); err != nil {
			return patches.Patch{}, fmt.Errorf("node settings patch: %w", err)
		}

		if err := enc.Close(); err != nil {
			return patches.Patch{}, fmt.Errorf("node settings patch: %w", err)
		}

		texts = append(texts, b.String())
	}

	p, err := patches.Strategic(strings.Join(texts, "---\n"))
	if err != nil {
		return patches.Patch{}, fmt.Errorf("node settings patch: %w", err)
	}

	return p, nil
}

// setFields returns the YAML of a typed document with only the fields it sets: a struct
// becomes a mapping of its non-zero fields, in field order, under their yaml names (inline
// structs merged in); anything else (maps, slices, scalars, values with their own marshaller)
// is encoded as it is. The patch text is thereby the typed documents of [NodeSettings.documents]
// written out, so the two cannot disagree and a new setting is written in one place.
func setFields(v reflect.Value) (*yaml.Node, error) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil, nil
		}

		if marshals(v.Type()) {
			break
		}

		v = v.Elem()
	}

	if v.Kind() != reflect.Struct || marshals(v.Type()) {
		value := v.Interface()
		if v.CanAddr() {
			value = v.Addr().Interface() // a marshaller with a pointer receiver
		}

		var n yaml.Node
		if err := n.Encode(value); err != nil {
			return nil, err
		}

		return &n, nil
	}

	m := &yaml.Node{Kind: yaml.MappingNode}

	for i := range v.NumField() {
		f, fv := v.Type().Field(i), v.Field(i)
		if !f.IsExported() || fv.IsZero() {
			continue
		}

		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}

		child, err := setFields(fv)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}

		switch {
		case child == nil:
		case strings.Contains(opts, "inline") && child.Kind == yaml.MappingNode:
			m.Content = append(m.Content, child.Content...)
		default:
			if name == "" {
				name = strings.ToLower(f.Name)
			}

			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name}, child)
		}
	}

	return m, nil
}

// marshals reports whether values of t encode themselves (a YAML or text marshaller).
func marshals(t reflect.Type) bool {
	yamlMarshaler := reflect.TypeFor[yaml.Marshaler]()
	textMarshaler := reflect.TypeFor[encoding.TextMarshaler]()

	return t.Implements(yamlMarshaler) || t.Implements(textMarshaler) ||
		t.Kind() != reflect.Pointer && (reflect.PointerTo(t).Implements(yamlMarshaler) || reflect.PointerTo(t).Implements(textMarshaler))
}

// documents returns the settings as the patch documents that parsing [NodeSettings.Patch]
// gives for forms f, with copies of the maps and slices: the v1alpha1 document (when it has
// anything), then KubeNodeConfig, then HostnameConfig.
func (s NodeSettings) documents(f settingsForms) []configconfig.Document {
	var docs []configconfig.Document

	if v1 := s.v1alpha1Document(f); v1 != nil {
		docs = append(docs, v1)
	}

	if f.nodeDocument && (len(s.Labels) > 0 || len(s.Annotations) > 0 || len(s.Taints) > 0) {
		n := k8s.NewKubeNodeConfigV1Alpha1()
		n.LabelsConfig = cloneNonEmpty(s.Labels)
		n.AnnotationsConfig = cloneNonEmpty(s.Annotations)
		n.TaintsConfig = cloneNonEmpty(s.Taints)
		docs = append(docs, n)
	}

	if f.hostnameDocument && s.Hostname != "" {
		h := network.NewHostnameConfigV1Alpha1()
		h.ConfigAuto = new(nethelpers.AutoHostnameKindOff)
		h.ConfigHostname = s.Hostname
		docs = append(docs, h)
	}

	return docs
}

func cloneNonEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}

	return maps.Clone(m)
}

// v1alpha1Document returns the settings that stay in the v1alpha1 document for forms f, nil
// when there are none.
func (s NodeSettings) v1alpha1Document(f settingsForms) *v1alpha1.Config {
	m := &v1alpha1.MachineConfig{}
	empty := true

	if !f.nodeDocument {
		if len(s.Labels) > 0 {
			m.MachineNodeLabels, empty = maps.Clone(s.Labels), false
		}

		if len(s.Annotations) > 0 {
			m.MachineNodeAnnotations, empty = maps.Clone(s.Annotations), false
		}

		if len(s.Taints) > 0 {
			m.MachineNodeTaints, empty = maps.Clone(s.Taints), false
		}
	}

	if !f.hostnameDocument && s.Hostname != "" {
		m.MachineNetwork, empty = &v1alpha1.NetworkConfig{NetworkHostname: s.Hostname}, false
	}

	if len(s.CertSANs) > 0 {
		m.MachineCertSANs, empty = slices.Clone(s.CertSANs), false
	}

	if empty {
		return nil
	}

	return &v1alpha1.Config{MachineConfig: m}
}
