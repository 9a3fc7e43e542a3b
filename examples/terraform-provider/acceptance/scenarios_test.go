package acceptance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/talospatch/talospatch/manifests/source"

	"github.com/talospatch/talospatch/cluster"
	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/talos"
)

// header is the start of every configuration: the provider from dev_overrides and the secrets
// fixture.
func header() string {
	return fmt.Sprintf(`terraform {
  required_providers {
    talospatch = { source = %q }
  }
}

locals {
  secrets = file(%q)
}
`, providerSource, filepath.Join(repoRoot, "testdata/bench/secrets.yaml"))
}

func chartPath() string { return filepath.Join(repoRoot, "testdata/charts/cilium-1.18.12.tgz") }

// clusterHCL is the cluster description of the scenarios: attributes of the resource and of
// the data sources.
const clusterHCL = `name                = "demo"
  endpoint            = "https://cp.example.com:6443"
  kubernetes_version  = "1.37.0"
  cni_name            = "none"
  kube_proxy_disabled = true
  kubespan            = true
  install_disk        = "/dev/sda"
  talos_endpoints     = ["10.5.0.2"]`

// flannel is clusterHCL with Talos's default CNI, for the scenarios without Cilium.
var flannel = strings.Replace(clusterHCL, `cni_name            = "none"`, `cni_name            = "flannel"`, 1)

// description is clusterHCL as a config.Cluster (contract unset in HCL: v1.14).
func description() config.Cluster {
	return config.Cluster{
		Name: "demo", Endpoint: "https://cp.example.com:6443", Contract: talos.V1_14, KubernetesVersion: "1.37.0",
		CNI: config.CNI{Name: config.CNINone}, KubeProxyDisabled: true, KubeSpan: true, InstallDisk: "/dev/sda",
		TalosEndpoints: []string{"10.5.0.2"},
	}
}

// nodesHCL writes a nodes map of cps control planes and workers workers.
func nodesHCL(cps, workers int) string {
	var b strings.Builder

	b.WriteString("{\n")

	for i := 1; i <= cps; i++ {
		fmt.Fprintf(&b, "    \"cp-%d\" = { role = \"controlplane\", hostname = \"cp-%d\" }\n", i, i)
	}

	for i := 1; i <= workers; i++ {
		fmt.Fprintf(&b, "    \"worker-%d\" = { role = \"worker\", hostname = \"worker-%d\", labels = { zone = \"a\" } }\n", i, i)
	}

	b.WriteString("  }")

	return b.String()
}

func specNodes(cps, workers int) []cluster.Node {
	var nodes []cluster.Node

	for i := 1; i <= cps; i++ {
		nodes = append(nodes, cluster.Node{Name: fmt.Sprintf("cp-%d", i), Role: config.RoleControlPlane,
			Settings: config.NodeSettings{Hostname: fmt.Sprintf("cp-%d", i)}})
	}

	for i := 1; i <= workers; i++ {
		nodes = append(nodes, cluster.Node{Name: fmt.Sprintf("worker-%d", i), Role: config.RoleWorker,
			Settings: config.NodeSettings{Hostname: fmt.Sprintf("worker-%d", i), Labels: map[string]string{"zone": "a"}}})
	}

	return nodes
}

func librarySecrets(t *testing.T) *config.Secrets {
	t.Helper()

	data, err := os.ReadFile(filepath.Join(repoRoot, "testdata/bench/secrets.yaml"))
	if err != nil {
		t.Fatal(err)
	}

	s, err := config.LoadSecrets(data)
	if err != nil {
		t.Fatal(err)
	}

	return s
}

func digest(data []byte) string {
	sum := sha256.Sum256(data)

	return hex.EncodeToString(sum[:])
}

// TestClusterWithCilium: 3 control planes and 2 workers with Cilium 1.18.12, Hubble relay and UI
// on, certificates made in the cluster. Plan, apply, then a plan that shows no change (exit 0 of
// -detailed-exitcode) and an apply that changes nothing. The configs in state are the library's,
// byte for byte, and the data sources give the library's node config and talosconfig.
func TestClusterWithCilium(t *testing.T) {
	t.Parallel()
	setup(t)

	w := newWorkdir(t, header()+fmt.Sprintf(`
resource "talospatch_cluster" "c" {
  %[1]s
  secrets = local.secrets
  cilium = {
    chart                   = %[2]q
    set                     = ["hubble.relay.enabled=true", "hubble.ui.enabled=true"]
    certificates_in_cluster = true
  }
  nodes = %[3]s
}

data "talospatch_machine_configuration" "extra" {
  %[1]s
  secrets  = local.secrets
  role     = "worker"
  hostname = "worker-9"
  labels   = { zone = "b" }
}

data "talospatch_client_configuration" "admin" {
  %[1]s
  secrets = local.secrets
}

output "digests" {
  value = nonsensitive({ for k, v in talospatch_cluster.c.machine_configurations : k => sha256(v) })
}

output "extra" {
  value = nonsensitive(sha256(data.talospatch_machine_configuration.extra.machine_configuration))
}

output "talosconfig" {
  value = nonsensitive(sha256(data.talospatch_client_configuration.admin.talosconfig))
}
`, clusterHCL, chartPath(), nodesHCL(3, 2)))

	w.must(2, "plan", "-input=false", "-detailed-exitcode")
	w.must(0, "apply", "-input=false", "-auto-approve")
	w.must(0, "plan", "-input=false", "-detailed-exitcode")

	again := w.must(0, "apply", "-input=false", "-auto-approve")
	if !strings.Contains(again.stdout, "No changes.") || !strings.Contains(again.stdout, "0 added, 0 changed, 0 destroyed") {
		t.Fatalf("the second apply changed something:\n%s", again.stdout)
	}

	out := w.outputs()

	// The same with the library.
	s := librarySecrets(t)
	rd, err := source.LoadRenderer(t.Context(), chartPath())
	if err != nil {
		t.Fatal(err)
	}

	b := cluster.NewBuilder()

	res, err := b.Build(context.Background(), cluster.Spec{
		Cluster: description(), Secrets: s, Nodes: specNodes(3, 2),
		Cilium: &cluster.Cilium{Renderer: rd.Renderer, CertificatesInCluster: true, Deterministic: true,
			Options: manifests.RenderOptions{Set: []string{"hubble.relay.enabled=true", "hubble.ui.enabled=true"}}},
	})
	if err != nil {
		t.Fatal(err)
	}

	if !strings.Contains(string(res.Nodes[0].Config), "hubble-relay") || !strings.Contains(string(res.Nodes[0].Config), "hubble-ui") {
		t.Fatal("the control-plane config has no Hubble relay and UI")
	}

	digests, _ := out["digests"].(map[string]any)
	if len(digests) != 5 {
		t.Fatalf("digests: %v", out["digests"])
	}

	for _, n := range res.Nodes {
		if got := digests[n.Name]; got != digest(n.Config) {
			t.Errorf("node %s: state has sha256 %v, the library gives %s", n.Name, got, digest(n.Config))
		}
	}

	extra, err := b.Build(context.Background(), cluster.Spec{Cluster: description(), Secrets: s, Nodes: []cluster.Node{{Name: "node", Role: config.RoleWorker,
		Settings: config.NodeSettings{Hostname: "worker-9", Labels: map[string]string{"zone": "b"}}}}})
	if err != nil {
		t.Fatal(err)
	}

	if out["extra"] != digest(extra.Nodes[0].Config) {
		t.Errorf("machine_configuration data source: sha256 %v, the library gives %s", out["extra"], digest(extra.Nodes[0].Config))
	}

	tc, err := config.Talosconfig(description(), s, s.CreatedAt())
	if err != nil {
		t.Fatal(err)
	}

	tcYAML, err := config.EncodeTalosconfig(tc)
	if err != nil {
		t.Fatal(err)
	}

	if out["talosconfig"] != digest(tcYAML) {
		t.Errorf("client_configuration data source: sha256 %v, the library gives %s", out["talosconfig"], digest(tcYAML))
	}

	// The secrets are stored once: one resource instance, not one per node.
	state, err := os.ReadFile(filepath.Join(w.dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}

	if n := strings.Count(string(state), `"secrets": "`); n != 3 { // the resource and the two data sources
		t.Errorf("the secrets are in state %d times, want 3 (the cluster resource and the two data sources)", n)
	}
}

// TestPatchUnknownUntilApply: a patch whose value comes from a terraform_data resource is
// unknown at plan; the configs are planned unknown and built at apply, with no "inconsistent
// final plan", on create and on change, and the plans after show no changes.
func TestPatchUnknownUntilApply(t *testing.T) {
	t.Parallel()
	setup(t)

	w := newWorkdir(t, header()+fmt.Sprintf(`
variable "somaxconn" {
  type = string
}

resource "terraform_data" "value" {
  input = var.somaxconn
}

resource "talospatch_cluster" "c" {
  %s
  secrets        = local.secrets
  config_patches = [yamlencode({ machine = { sysctls = { "net.core.somaxconn" = terraform_data.value.output } } })]
  nodes          = %s
}

output "somaxconn" {
  value = nonsensitive({ for k, v in talospatch_cluster.c.machine_configurations : k => yamldecode(split("\n---\n", v)[0]).machine.sysctls["net.core.somaxconn"] })
}
`, flannel, nodesHCL(1, 1)))

	for _, value := range []string{"1024", "2048"} {
		plan := w.must(2, "plan", "-input=false", "-detailed-exitcode", "-var", "somaxconn="+value)
		if !strings.Contains(plan.stdout, "(known after apply)") {
			t.Fatalf("the configs should be unknown until apply:\n%s", plan.stdout)
		}

		apply := w.run("apply", "-input=false", "-auto-approve", "-var", "somaxconn="+value)
		if apply.code != 0 || strings.Contains(apply.stderr, "inconsistent") {
			t.Fatalf("apply with somaxconn=%s: exit %d\n%s\n%s", value, apply.code, apply.stdout, apply.stderr)
		}

		w.t.Logf("apply somaxconn=%s: %s", value, apply.wall)
		w.must(0, "plan", "-input=false", "-detailed-exitcode", "-var", "somaxconn="+value)

		got, _ := w.outputs()["somaxconn"].(map[string]any)
		if got["cp-1"] != value || got["worker-1"] != value {
			t.Fatalf("somaxconn in the configs: %v, want %s", got, value)
		}
	}
}

// TestHelmCertificatesRefused: Hubble certificates made by Helm at render time change on every
// plan; with determinism required (the default) the plan fails with one diagnostic on the
// cilium attribute that names the Secrets.
func TestHelmCertificatesRefused(t *testing.T) {
	t.Parallel()
	setup(t)

	w := newWorkdir(t, header()+fmt.Sprintf(`
resource "talospatch_cluster" "c" {
  %s
  secrets = local.secrets
  cilium = {
    chart                   = %q
    set                     = ["hubble.relay.enabled=true"]
    certificates_in_cluster = false
  }
  nodes = %s
}
`, clusterHCL, chartPath(), nodesHCL(1, 1)))

	res := w.must(1, "plan", "-input=false", "-json")
	diags := res.errors(t)

	if len(diags) != 1 {
		t.Fatalf("want one error diagnostic, got %d: %+v", len(diags), diags)
	}

	d := diags[0]
	if d.Snippet == nil || !strings.Contains(d.Snippet.Code, "cilium = {") {
		t.Errorf("the diagnostic is not on the cilium attribute: %+v", d.Snippet)
	}

	for _, want := range []string{"Secret kube-system/hubble-server-certs", "Secret kube-system/hubble-relay-client-certs", "certificates in the cluster"} {
		if !strings.Contains(d.Detail, want) {
			t.Errorf("the diagnostic does not say %q:\n%s", want, d.Detail)
		}
	}
}

// TestBadInputs: one diagnostic for each bad input, on its attribute.
func TestBadInputs(t *testing.T) {
	t.Parallel()
	setup(t)

	for _, tc := range []struct {
		name    string
		replace [2]string // in the description
		patches string
		line    string // the diagnostic's source line
		detail  string
	}{
		{name: "endpoint without scheme", replace: [2]string{`"https://cp.example.com:6443"`, `"cp.example.com:6443"`},
			line: `endpoint            = "cp.example.com:6443"`, detail: `fix: "https://cp.example.com:6443"`},
		{name: "failing patch",
			patches: "[\n    \"machine:\\n  sysctls:\\n    a: \\\"1\\\"\\n\",\n    \"[{\\\"op\\\":\\\"remove\\\",\\\"path\\\":\\\"/machine/nope\\\"}]\",\n  ]",
			line:    `"[{\"op\":\"remove\",\"path\":\"/machine/nope\"}]",`, detail: "/machine/nope"},
		{name: "unknown contract", replace: [2]string{`kubernetes_version  = "1.37.0"`, `kubernetes_version  = "1.37.0"` + "\n  contract = \"v1.99\""},
			line: `contract = "v1.99"`, detail: "v1.14"},
		{name: "kubernetes out of range", replace: [2]string{`"1.37.0"`, `"1.20.0"`},
			line: `kubernetes_version  = "1.20.0"`, detail: "1.32.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			desc := flannel
			if tc.replace[0] != "" {
				desc = strings.Replace(desc, tc.replace[0], tc.replace[1], 1)
			}

			ps := "[]"
			if tc.patches != "" {
				ps = tc.patches
			}

			w := newWorkdir(t, header()+fmt.Sprintf(`
resource "talospatch_cluster" "c" {
  %s
  secrets        = local.secrets
  config_patches = %s
  nodes          = %s
}
`, desc, ps, nodesHCL(1, 1)))

			res := w.must(1, "plan", "-input=false", "-json")
			diags := res.errors(t)

			if len(diags) != 1 {
				t.Fatalf("want one error diagnostic, got %d: %+v", len(diags), diags)
			}

			d := diags[0]
			if d.Snippet == nil || strings.TrimSpace(d.Snippet.Code) != tc.line {
				var code string
				if d.Snippet != nil {
					code = d.Snippet.Code
				}

				t.Errorf("diagnostic on %q, want %q (%s: %s)", strings.TrimSpace(code), tc.line, d.Summary, d.Detail)
			}

			if !strings.Contains(d.Detail, tc.detail) {
				t.Errorf("the diagnostic does not say %q: %s", tc.detail, d.Detail)
			}
		})
	}
}
