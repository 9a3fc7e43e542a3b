// Package depcheck holds the dependency-budget test: the packages that build configs, patches
// and KubeSpan sections must not pull in Helm or client-go.
package depcheck

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// forbidden are the import path prefixes that only manifests (and its subpackages) may use.
var forbidden = []string{"helm.sh/", "k8s.io/client-go/"}

func TestDependencyBudget(t *testing.T) {
	t.Parallel()

	for _, pkg := range []string{"config", "patches", "kubespan"} {
		t.Run(pkg, func(t *testing.T) {
			t.Parallel()

			deps := listDeps(t, "github.com/talospatch/talospatch/"+pkg+"/...")
			for _, dep := range deps {
				for _, prefix := range forbidden {
					if strings.HasPrefix(dep, prefix) {
						t.Errorf("%s depends on %s; only manifests may import %s*", pkg, dep, prefix)
					}
				}
			}
		})
	}
}

// listDeps returns the transitive dependencies of the non-test packages matching patterns.
func listDeps(t *testing.T, patterns ...string) []string {
	t.Helper()

	pattern := strings.Join(patterns, " ")
	cmd := exec.Command("go", append([]string{"list", "-deps", "-json=ImportPath"}, patterns...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go list %s: %v\n%s", pattern, err, stderr.String())
	}

	var deps []string
	dec := json.NewDecoder(&stdout)
	for dec.More() {
		var p struct{ ImportPath string }
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		deps = append(deps, p.ImportPath)
	}
	if len(deps) == 0 {
		t.Fatalf("go list %s returned no packages", pattern)
	}
	return deps
}

// TestTalosVocabularyIsStandardLibraryOnly: package talos is at the bottom of the house; every
// package reads it, so it imports nothing but the standard library (no machinery), and no other
// package of this module.
func TestTalosVocabularyIsStandardLibraryOnly(t *testing.T) {
	t.Parallel()

	for _, dep := range listDeps(t, "github.com/talospatch/talospatch/talos") {
		if dep == "github.com/talospatch/talospatch/talos" {
			continue
		}

		if first, _, _ := strings.Cut(dep, "/"); strings.Contains(first, ".") {
			t.Errorf("talos depends on %s; it may import only the standard library", dep)
		}
	}
}

// TestKubeSpanModelIsLight: the KubeSpan model (identity, addresses, peers, peer status) and the
// mesh simulator are used by tools that never build a machine config, so they must not pull in
// machinery; only kubespan/sections, which writes documents, may.
func TestKubeSpanModelIsLight(t *testing.T) {
	t.Parallel()

	const module = "github.com/talospatch/talospatch/"
	// package talos (contracts, problems) is itself standard-library only; its deps are listed
	// here too, so it stays so for the model.
	allowed := []string{module + "kubespan", module + "talos", "go.yaml.in/yaml/v3"}

	for _, pkg := range []string{"kubespan", "kubespan/meshsim"} {
		t.Run(pkg, func(t *testing.T) {
			t.Parallel()

			for _, dep := range listDeps(t, module+pkg) {
				first, _, _ := strings.Cut(dep, "/")
				if !strings.Contains(first, ".") {
					continue // standard library
				}
				ok := false
				for _, prefix := range allowed {
					if dep == prefix || strings.HasPrefix(dep, prefix+"/") {
						ok = true
					}
				}
				if ok && strings.HasPrefix(dep, module+"kubespan/sections") {
					ok = false
				}
				if !ok {
					t.Errorf("%s depends on %s; the KubeSpan model may import only the standard library, package talos and go.yaml.in/yaml/v3 (documents belong in kubespan/sections)", pkg, dep)
				}
			}
		})
	}
}

// TestEncodingWithoutCommentsIsOneSeam: how the library encodes configs and documents without
// machinery's comments is said in one place, internal/machineryseam; a package that spells it
// out itself would drift from the others on the next machinery release. (bench/baseline, which
// deliberately uses nothing of talospatch, is exempt.)
func TestEncodingWithoutCommentsIsOneSeam(t *testing.T) {
	t.Parallel()

	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}

		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			switch rel {
			case ".git", ".cache", "bench", filepath.Join("internal", "machineryseam"):
				return filepath.SkipDir
			}

			return nil
		}

		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}

		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}

		if bytes.Contains(data, []byte("encoder.CommentsDisabled")) {
			t.Errorf("%s encodes without comments itself; use machineryseam.EncodeConfig or EncodeDocument", rel)
		}

		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
