package sections

import (
	"fmt"

	"github.com/talospatch/talospatch/patches"
)

// Patch returns the sections as a strategic merge patch of the patches package (its
// String is the exact --config-patch text, see YAML). Empty sections are an error.
func (s Sections) Patch() (patches.Patch, error) {
	text, err := s.YAML()
	if err != nil {
		return patches.Patch{}, err
	}
	p, err := patches.Parse(text)
	if err != nil {
		return patches.Patch{}, fmt.Errorf("kubespan patch: %w", err)
	}
	return p, nil
}
