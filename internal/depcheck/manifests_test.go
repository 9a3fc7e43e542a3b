package depcheck

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/talospatch/talospatch/"

// ociOnly are the import paths that only a program that loads oci:// references links: Helm's
// registry client and oras, behind package manifests/source/oci.
var ociOnly = []string{"helm.sh/helm/v4/pkg/registry", "oras.land/"}

func hasPrefixIn(dep string, prefixes []string) bool {
	for _, p := range prefixes {
		if dep == p || strings.HasPrefix(dep, strings.TrimSuffix(p, "/")+"/") {
			return true
		}
	}

	return false
}

// TestOCIOnlyWhenImported: the chart sources, the render core and the programs that do not
// load OCI references link neither Helm's registry client nor oras, nor initialise them;
// package manifests/source/oci brings them in when imported.
func TestOCIOnlyWhenImported(t *testing.T) {
	t.Parallel()

	for _, pkg := range []string{
		"manifests", "manifests/source", "manifests/apply",
		"examples/fleet", "examples/quickstart", "examples/patch", "examples/apply", "examples/kubespan",
	} {
		t.Run(pkg, func(t *testing.T) {
			t.Parallel()

			for _, dep := range listDeps(t, module+pkg) {
				if hasPrefixIn(dep, ociOnly) {
					t.Errorf("%s depends on %s; only programs that import manifests/source/oci may", pkg, dep)
				}
			}
		})
	}

	// The other way round: the test above would pass on a rename of the packages.
	deps := listDeps(t, module+"manifests/source/oci")
	if !slices.ContainsFunc(deps, func(d string) bool { return hasPrefixIn(d, ociOnly) }) {
		t.Errorf("manifests/source/oci no longer depends on %v: update ociOnly", ociOnly)
	}
}

// TestRenderCoreIsOneJob: the render core (package manifests: values, Cilium presets, render,
// Talos-ordered objects, determinism, key material) loads no charts (manifests/source imports
// it, never the reverse), links no registry client, and knows no talospatch config package
// (config, patches, talos, kubespan): reading the cluster description is manifests/install's
// business.
func TestRenderCoreIsOneJob(t *testing.T) {
	t.Parallel()

	forbidden := append([]string{
		module + "manifests/source", module + "manifests/install", module + "config", module + "patches",
		module + "talos", module + "kubespan",
	}, ociOnly...)

	for _, dep := range listDeps(t, module+"manifests") {
		if hasPrefixIn(dep, forbidden) {
			t.Errorf("the render core (manifests) depends on %s; it may not depend on %v", dep, forbidden)
		}
	}
}

// TestHelmEngineImporters: internal/helmengine, the second template engine, is used by the
// render core and the chart sources only; everything else renders through package manifests.
func TestHelmEngineImporters(t *testing.T) {
	t.Parallel()

	allowed := []string{module + "manifests", module + "manifests/source"}

	cmd := exec.Command("go", "list", "-json=ImportPath,Imports", module+"...")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}

	importers := 0
	dec := json.NewDecoder(&stdout)

	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}

		if !slices.Contains(p.Imports, module+"internal/helmengine") {
			continue
		}

		importers++

		if !slices.Contains(allowed, p.ImportPath) {
			t.Errorf("%s imports internal/helmengine; only %v may", p.ImportPath, allowed)
		}
	}

	if importers == 0 {
		t.Error("nothing imports internal/helmengine: the test checks a package that no longer exists")
	}
}
