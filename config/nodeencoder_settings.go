package config

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"

	"github.com/siderolabs/talos/pkg/machinery/config/container"
	"github.com/siderolabs/talos/pkg/machinery/config/merge"
	"github.com/siderolabs/talos/pkg/machinery/config/types/v1alpha1"
)

// EncodeWithSettings returns the encoding of the encoder's base config with the node settings s
// applied. For a NodeEncoder made from the config of role in cs:
//
//	enc.EncodeWithSettings(s) == config.Encode(cs.NodeWithSettings(role, config.Layers{}, s))
//
// byte for byte, but faster: the node's config
// is not built as a deep copy of the base and then compared with the base field by field; the
// node shares every part of the base the settings do not touch, and only what they change
// (machine.nodeLabels, nodeAnnotations, nodeTaints, certSANs) is copied, merged and encoded.
// Settings that go elsewhere (a hostname; labels, annotations and taints on a v1.14 config,
// where they are the KubeNodeConfig document) take the general path, with the same result.
// This is the fast path for nodes that differ from their role config only in their settings;
// nodes with their own patches use [Configs.NodeWithSettings] and [NodeEncoder.Encode].
//
// The encoder and s are not modified; it is safe for concurrent use. The zero NodeEncoder has no
// base and returns an error wrapping [ErrInvalid].
func (e *NodeEncoder) EncodeWithSettings(s NodeSettings) ([]byte, error) {
	return e.AppendWithSettings(nil, s)
}

// AppendWithSettings is [NodeEncoder.EncodeWithSettings] appending the encoding to dst, which it
// returns extended, like the strconv Append functions: a caller that writes node after node can
// reuse one buffer instead of allocating one per node. On error dst is returned unchanged.
func (e *NodeEncoder) AppendWithSettings(dst []byte, s NodeSettings) ([]byte, error) {
	if e == nil || e.base == nil {
		return dst, fmt.Errorf("encode config with settings: %w: node encoder without a base config", ErrInvalid)
	}

	ctr, ok := e.base.(*container.Container)
	if e.baseV1 == nil || !ok || ctr.Readonly() || s.Hostname != "" && !e.forms.hostnameDocument {
		return e.appendGeneral(dst, s)
	}

	// The node's v1alpha1 document: a shallow copy of the base's whose machine section is a
	// shallow copy too, with copies of the maps the merge writes into (it builds a new certSANs
	// slice itself), so that merging the settings' document as mergeSettings does changes only
	// the copies.
	v1 := *e.baseV1

	// The other documents the settings change (v1.14's KubeNodeConfig, v1.12+'s HostnameConfig):
	// a copy of the base's document merged with the settings' document as the strategic merge
	// merges it, and encoded whole; every other document keeps the base's encoding.
	var changed map[int][]byte

	if !s.IsZero() {
		if err := s.Validate(); err != nil {
			return dst, fmt.Errorf("encode config with settings: %w", err)
		}

		if err := mergeSettingsShallow(&v1, s, e.forms); err != nil {
			return dst, fmt.Errorf("encode config with settings: node settings: %w", err)
		}

		var general bool

		changed, general = e.mergedDocuments(s)
		if general {
			return e.appendGeneral(dst, s)
		}
	}

	start := len(dst)
	buf := bytes.NewBuffer(dst)

	buf.Grow(e.size + e.size/8)

	// Every part shared with the base is the base's by identity, so only the changed fields of
	// the machine section are compared in depth and encoded.
	if err := e.v1.encode(buf, reflect.ValueOf(&v1).Elem(), 0); errors.Is(err, errRawBreak) {
		return e.appendGeneral(dst, s) // a value the fields' encodings cannot be spliced with
	} else if err != nil {
		return dst, fmt.Errorf("encode config with settings: %w", err)
	}

	for i, d := range e.docs {
		if buf.Len() > start {
			buf.WriteString("---\n")
		}

		if enc, ok := changed[i]; ok {
			buf.Write(enc)

			continue
		}

		buf.Write(d.enc)
	}

	return buf.Bytes(), nil
}

// appendGeneral is the general path: what NodeWithSettings does, then Encode (which still
// reuses the encodings of the documents the settings leave alone). AppendWithSettings takes it
// for what its fast path does not cover (a hostname in the v1alpha1 document, a settings
// document the role config lacks).
func (e *NodeEncoder) appendGeneral(dst []byte, s NodeSettings) ([]byte, error) {
	cfg, err := mergeSettings(deepClone(e.base), s)
	if err != nil {
		return dst, fmt.Errorf("encode config with settings: %w", err)
	}

	out, err := e.Encode(cfg)
	if err != nil {
		return dst, err
	}

	return append(dst, out...), nil
}

// mergedDocuments returns the encodings of the base's documents (by index in e.docs) that the
// settings change outside the v1alpha1 document, merged as configpatcher.StrategicMerge merges
// the settings' documents. general is true when a settings document has no document of its kind
// in the base (the merge would append one): the caller then takes the general path.
func (e *NodeEncoder) mergedDocuments(s NodeSettings) (changed map[int][]byte, general bool) {
	for _, patch := range s.documents(e.forms) {
		if _, isV1 := patch.(*v1alpha1.Config); isV1 {
			continue
		}

		i := slices.IndexFunc(e.docs, func(d docEncoding) bool { return d.doc.Kind() == patch.Kind() })
		if i < 0 {
			return nil, true
		}

		merged := e.docs[i].doc.Clone()
		if err := merge.Merge(merged, patch); err != nil {
			return nil, true // the general path reports it
		}

		var (
			enc []byte
			err error
		)

		switch d := e.docs[i]; {
		case d.splice != nil:
			var ok bool
			if enc, ok = d.splice.encode(d.doc, merged); !ok {
				enc, err = marshalDocument(merged)
			}
		case d.plain:
			enc, err = marshalDocument(merged)
		default:
			enc, err = encodeDocument(merged)
		}

		if err != nil {
			return nil, true
		}

		if changed == nil {
			changed = map[int][]byte{}
		}

		changed[i] = enc
	}

	return changed, false
}

// mergeSettingsShallow merges the settings' document into v1, a shallow copy of a v1alpha1
// document, as mergeSettings does, writing only into copies: the machine section is copied
// (shallowly), and so are the maps the merge writes into (it builds a new certSANs slice itself).
func mergeSettingsShallow(v1 *v1alpha1.Config, s NodeSettings, f settingsForms) error {
	doc := s.v1alpha1Document(f)
	if doc == nil {
		return nil
	}

	if v1.MachineConfig == nil { // the merge takes the document's own machine section
		return merge.Merge(v1, doc)
	}

	m := *v1.MachineConfig
	v1.MachineConfig = &m
	d := doc.MachineConfig

	// The document sets only these four fields of the machine section, which have no merge
	// tags: merging the section merges each of them as merging them one by one does (the
	// merge's overwrite flag, which differs, only concerns scalars).
	for _, f := range []struct {
		left, right *map[string]string
	}{
		{&m.MachineNodeLabels, &d.MachineNodeLabels},
		{&m.MachineNodeAnnotations, &d.MachineNodeAnnotations},
		{&m.MachineNodeTaints, &d.MachineNodeTaints},
	} {
		if len(*f.right) == 0 {
			continue
		}

		*f.left = maps.Clone(*f.left)

		if err := merge.Merge(f.left, f.right); err != nil {
			return err
		}
	}

	if len(d.MachineCertSANs) > 0 {
		return merge.Merge(&m.MachineCertSANs, &d.MachineCertSANs)
	}

	return nil
}
