package depcheck

import (
	"strings"
	"testing"
)

// TestRenderCoreReadsNoClusterDescription: package manifests (the render core) depends on no
// talospatch config package; the install methods, which read the cluster description, are in
// manifests/install.
func TestRenderCoreReadsNoClusterDescription(t *testing.T) {
	t.Parallel()

	const module = "github.com/talospatch/talospatch/"

	for _, dep := range listDeps(t, module+"manifests") {
		for _, pkg := range []string{"config", "patches", "talos", "kubespan", "manifests/install"} {
			if dep == module+pkg || strings.HasPrefix(dep, module+pkg+"/") {
				t.Errorf("manifests depends on %s; the render core must not read the cluster description (put it in manifests/install)", dep)
			}
		}
	}
}
