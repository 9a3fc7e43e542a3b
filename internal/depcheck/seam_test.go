package depcheck

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// yamlRule is the written rule for which YAML library is used where (README, "YAML
// libraries"):
//
//   - go.yaml.in/yaml/v4 where the bytes must equal machinery's encoder (machinery v1.14
//     encodes with v4): the node encoder behind config.Builder (internal/nodeencode), config's
//     secrets, kubespan/sections;
//   - sigs.k8s.io/yaml (JSON semantics) for Kubernetes objects, Helm values and patch texts:
//     manifests and its subpackages, patches' JSON patch and patch-text handling;
//   - go.yaml.in/yaml/v2 only where bytes must equal sigs.k8s.io/yaml.Marshal without its
//     detour through JSON (manifests' object encoder);
//   - go.yaml.in/yaml/v3 only in the files that read yaml.Node trees today (positions for
//     errors, key order); no new file may add it.
var yamlRule = map[string][]string{
	"go.yaml.in/yaml/v4": {"config/", "internal/nodeencode/", "kubespan/sections/"},
	"sigs.k8s.io/yaml":   {"manifests/", "patches/apply.go", "patches/patch.go", "bench/", "internal/", "examples/"},
	"go.yaml.in/yaml/v2": {"manifests/objects.go"},
	"go.yaml.in/yaml/v3": {
		"config/cluster.go", "kubespan/identity.go", "kubespan/parse.go",
		"patches/apply.go", "patches/diff.go", "patches/recipes.go", "patches/recipes_documents.go", "patches/strategic.go",
	},
}

// loaderOwners may import machinery's configloader: the seam, and benchmark programs that
// measure machinery itself.
var loaderOwners = []string{"internal/machineryseam/", "bench/"}

// TestMachinerySeamAndYAMLRule walks the library's non-test Go files: machinery's configloader
// is imported only by internal/machineryseam (loading, document identity and deep cloning
// live there), and each YAML library only where the rule above allows it.
func TestMachinerySeamAndYAMLRule(t *testing.T) {
	t.Parallel()

	root := filepath.Join("..", "..")
	fset := token.NewFileSet()

	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}

		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)

		if d.IsDir() {
			switch rel {
			case ".git", ".cache", "examples/terraform-provider":
				return filepath.SkipDir
			}

			return nil
		}

		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}

		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}

		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)

			if path == "github.com/siderolabs/talos/pkg/machinery/config/configloader" && !allowed(rel, loaderOwners) {
				t.Errorf("%s imports machinery's configloader; load through internal/machineryseam (Load, LoadPatch)", rel)
			}

			if owners, ok := yamlRule[path]; ok && !allowed(rel, owners) {
				t.Errorf("%s imports %s, which the YAML rule allows only in %v (see internal/depcheck/seam_test.go)", rel, path, owners)
			}
		}

		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// allowed reports whether the file rel is one of owners or inside one of the directories
// among them (ending in "/").
func allowed(rel string, owners []string) bool {
	return slices.ContainsFunc(owners, func(o string) bool {
		return rel == o || strings.HasSuffix(o, "/") && strings.HasPrefix(rel, o)
	})
}
