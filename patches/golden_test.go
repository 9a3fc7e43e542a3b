package patches_test

import (
	"path/filepath"
	"testing"

	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/validation"
	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/internal/goldenfile"
)

// golden compares got with the golden file testdata/name (go test -update rewrites it).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got)
}

// containerMode is the validation mode of Talos in a container.
type containerMode struct{}

func (containerMode) String() string        { return "container" }
func (containerMode) RequiresInstall() bool { return false }
func (containerMode) InContainer() bool     { return true }

// cloudMode is a validation mode with no container or install requirements;
// used for old contracts whose generated configs fail container validation
// (HostDNS was not on by default before v1.8).
type cloudMode struct{}

func (cloudMode) String() string        { return "cloud" }
func (cloudMode) RequiresInstall() bool { return false }
func (cloudMode) InContainer() bool     { return false }

// validationMode returns container mode when the unpatched config validates
// in it, cloud mode otherwise; the unpatched config must validate in the mode.
func validationMode(t *testing.T, base config.Provider) validation.RuntimeMode {
	t.Helper()

	if _, err := base.Validate(containerMode{}); err == nil {
		return containerMode{}
	}

	_, err := base.Validate(cloudMode{})
	require.NoError(t, err)

	return cloudMode{}
}
