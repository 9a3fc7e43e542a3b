package machineryseam

import (
	"errors"

	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"
	configconfig "github.com/siderolabs/talos/pkg/machinery/config/config"
	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/siderolabs/talos/pkg/machinery/config/types/v1alpha1"

	"github.com/talospatch/talospatch/internal/cfgclone"
	"github.com/talospatch/talospatch/talos"
)

// Load parses a machine config (multi-document YAML) as Talos does.
func Load(data []byte) (coreconfig.Provider, error) {
	return configloader.NewFromBytes(data)
}

// LoadPatch parses the documents of a strategic merge patch, which may delete documents
// ("$patch: delete").
func LoadPatch(data []byte) (coreconfig.Provider, error) {
	return configloader.NewFromBytes(data, configloader.WithAllowPatchDelete())
}

// IsNoConfig reports whether err is machinery's "the text holds no config document".
func IsNoConfig(err error) bool { return errors.Is(err, configloader.ErrNoConfig) }

// IsLookupFailed reports whether err is machinery's "unknown document kind or version".
func IsLookupFailed(err error) bool { return errors.Is(err, configloader.ErrLookupFailed) }

// DocumentOf returns how a document is addressed: its kind and, for a named document, its
// name; the v1alpha1 document is talos.Document{Kind: talos.KindV1Alpha1}.
func DocumentOf(d configconfig.Document) talos.Document {
	if _, ok := d.(*v1alpha1.Config); ok {
		return talos.Document{Kind: talos.KindV1Alpha1}
	}

	ref := talos.Document{Kind: d.Kind()}
	if named, ok := d.(configconfig.NamedDocument); ok {
		ref.Name = named.Name()
	}

	return ref
}

// DeepClone returns a copy of cfg that shares no memory with it (machinery's Clone is not
// deep everywhere; see internal/cfgclone).
func DeepClone(cfg coreconfig.Provider) coreconfig.Provider { return cfgclone.Deep(cfg) }
