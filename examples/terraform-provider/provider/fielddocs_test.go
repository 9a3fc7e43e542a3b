package provider

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/talospatch/talospatch/examples/terraform-provider/internal/fielddocs"
)

// TestFieldDocsAreTheLibrarys: fielddocs_gen.go is what the generator writes from the library's
// sources today; a changed doc comment fails here until `go generate ./...` is run.
func TestFieldDocsAreTheLibrarys(t *testing.T) {
	t.Parallel()

	want, err := fielddocs.Generate("../../..", "provider")
	if err != nil {
		t.Fatal(err)
	}

	got, err := os.ReadFile("fielddocs_gen.go")
	if err != nil {
		t.Fatal(err)
	}

	if string(got) != string(want) {
		t.Fatal("fielddocs_gen.go differs from the library's doc comments; run `go generate ./...` in examples/terraform-provider")
	}
}

// TestEveryAttributeIsDescribed: every attribute of every schema has a description, and those
// that stand for a library field carry that field's doc.
func TestEveryAttributeIsDescribed(t *testing.T) {
	t.Parallel()

	var check func(prefix string, fs []field)
	check = func(prefix string, fs []field) {
		for _, f := range fs {
			d := f.description()
			if strings.TrimSpace(d) == "" {
				t.Errorf("%s%s has no description", prefix, f.name)
			}

			if !f.own && !strings.HasPrefix(d, FieldDocs[f.doc]) {
				t.Errorf("%s%s does not start with the doc of %s", prefix, f.name, f.doc)
			}

			check(prefix+f.name+".", f.attrs)
		}
	}

	check("machine_configuration.", machineConfigurationFields())
	check("client_configuration.", clientConfigurationFields())
	check("cluster.", clusterFields())

	// The framework accepts the schemas.
	p := New("test")().(*talospatchProvider)
	ctx := context.Background()

	for _, d := range p.DataSources(ctx) {
		var resp datasource.SchemaResponse
		d().Schema(ctx, datasource.SchemaRequest{}, &resp)

		if err := resp.Schema.ValidateImplementation(ctx); err.HasError() {
			t.Error(err)
		}
	}

	for _, r := range p.Resources(ctx) {
		var resp resource.SchemaResponse
		r().Schema(ctx, resource.SchemaRequest{}, &resp)

		if err := resp.Schema.ValidateImplementation(ctx); err.HasError() {
			t.Error(err)
		}
	}
}

// TestAttributeNamesAreTheDescriptionKeys: the description's attributes are the snake case of
// config.Cluster's YAML keys, so that a problem's path maps to an attribute by name.
func TestAttributeNamesAreTheDescriptionKeys(t *testing.T) {
	t.Parallel()

	for key, want := range map[string]string{
		"kubernetesVersion": "kubernetes_version", "extraCertSANs": "extra_cert_sans", "certSANs": "cert_sans",
		"kubeSpan": "kubespan", "dnsDomain": "dns_domain", "allowUnsupportedKubernetes": "allow_unsupported_kubernetes",
		"kubePrism": "kube_prism", "endpoint": "endpoint",
	} {
		if got := fielddocs.AttributeName(key); got != want {
			t.Errorf("AttributeName(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestAttributePaths(t *testing.T) {
	t.Parallel()

	names := []string{"cp-1", "worker-1"}
	l := layout{
		node:        func(i int) path.Path { return path.Root(attrNodes).AtMapKey(names[i]) },
		nodePatches: true,
		layers: map[string]layer{
			"allNodes":     {attr: attrConfigPatches, count: 2},
			"controlPlane": {attr: attrControlPlanePatches, count: 0},
		},
	}

	for pointer, want := range map[string]string{
		"/cluster/endpoint":             "endpoint",
		"/cluster/kubernetesVersion":    "kubernetes_version",
		"/cluster/cni/urls/1":           "cni_urls[1]",
		"/cluster/podSubnets/0":         "pod_subnets[0]",
		"/cluster/kubePrism/port":       "kube_prism_port",
		"/cluster/cni/name":             "cni_name",
		"/cluster":                      "",
		"/layers/allNodes/1":            "config_patches[1]",
		"/layers/controlPlane/0":        "cilium", // past the user's patches: the inline manifest
		"/cilium":                       "cilium",
		"/secrets":                      "secrets",
		"/nodes/1":                      `nodes["worker-1"]`,
		"/nodes/1/role":                 `nodes["worker-1"].role`,
		"/nodes/0/settings/labels/a~1b": `nodes["cp-1"].labels["a/b"]`,
		"/nodes/0/settings/certSANs/2":  `nodes["cp-1"].cert_sans[2]`,
		"/nodes/0/settings/hostname":    `nodes["cp-1"].hostname`,
		"/nodes/1/patches/3":            `nodes["worker-1"].config_patches[3]`,
		"/layers/worker":                "",
		"":                              "",
	} {
		got, ok := l.attributePath(pointer)
		if want == "" {
			if ok {
				t.Errorf("%q: got %s, want no attribute", pointer, got)
			}

			continue
		}

		if !ok || got.String() != want {
			t.Errorf("%q: got %s (%v), want %s", pointer, got, ok, want)
		}
	}
}
