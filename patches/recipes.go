package patches

import "fmt"

// InlineManifest returns a strategic merge patch that sets the inline manifest
// name to contents: it inserts it, or replaces an inline manifest with the same
// name, so a config never carries the name twice (a plain strategic merge would
// append a duplicate, which fails validation).
//
// The patch text starts with ReplaceByNameDirective. talosctl reads that line
// as a comment and inserts the manifest, which is right on the configs
// talosctl gen config produces (they have no inline manifests); Apply replaces
// by name on any config.
func InlineManifest(name, contents string) Patch {
	p, _ := InlineManifests(Manifest{Name: name, Contents: contents}) //nolint:errcheck // one manifest never fails

	return p
}

// Manifest is one inline manifest: a name and YAML contents.
type Manifest struct {
	Name     string
	Contents string
}

// InlineManifests is InlineManifest for several manifests, in order. Names
// should be unique; a later manifest with the same name wins.
func InlineManifests(ms ...Manifest) (Patch, error) {
	if len(ms) == 0 {
		return Patch{}, fmt.Errorf("inline manifests: %w", ErrEmptyPatch)
	}

	items := make([]any, 0, len(ms))

	seen := make(map[string]int, len(ms))

	for _, m := range ms {
		if i, ok := seen[m.Name]; ok {
			items[i] = ymap("name", m.Name, "contents", m.Contents)

			continue
		}

		seen[m.Name] = len(items)
		items = append(items, ymap("name", m.Name, "contents", m.Contents))
	}

	return mustStrategic(yamlText(ReplaceByNameDirective, ymap("cluster", ymap("inlineManifests", yseq(items...))))), nil
}
