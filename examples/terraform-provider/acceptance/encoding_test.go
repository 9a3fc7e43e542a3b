package acceptance

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEncodingOnlyChangeIsNoDiff: a config in state that says the same thing in another encoding
// (what a machinery upgrade that writes keys in another order, or comments, leaves behind) is kept:
// the plan shows no change. A config in state that says something else is planned for update.
func TestEncodingOnlyChangeIsNoDiff(t *testing.T) {
	t.Parallel()
	setup(t)

	w := newWorkdir(t, header()+`
resource "talospatch_cluster" "c" {
  `+flannel+`
  secrets = local.secrets
  nodes   = `+nodesHCL(1, 1)+`
}
`)

	w.must(0, "apply", "-input=false", "-auto-approve")

	// Another encoding of worker-1's config: a comment on top and the first document's first
	// two top-level keys swapped.
	editState(t, w, func(cfg string) string {
		lines := strings.SplitAfter(cfg, "\n")
		if !strings.HasPrefix(lines[0], "version: ") || !strings.HasPrefix(lines[1], "debug: ") {
			t.Fatalf("unexpected start of the config: %q", lines[:2])
		}

		lines[0], lines[1] = lines[1], lines[0]

		return "# written by another encoder\n" + strings.Join(lines, "")
	})
	w.must(0, "plan", "-input=false", "-detailed-exitcode")

	// Another content: planned for update.
	editState(t, w, func(cfg string) string {
		return strings.Replace(cfg, "hostname: worker-1", "hostname: worker-x", 1)
	})

	plan := w.must(2, "plan", "-input=false", "-detailed-exitcode")
	if !strings.Contains(plan.stdout, "talospatch_cluster.c will be updated in-place") {
		t.Fatalf("want an update of the cluster:\n%s", plan.stdout)
	}
}

// editState rewrites worker-1's config in the local state file.
func editState(t *testing.T, w *workdir, edit func(string) string) {
	t.Helper()

	file := filepath.Join(w.dir, "terraform.tfstate")

	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}

	var state map[string]any
	if err := json.Unmarshal(data, &state); err != nil {
		t.Fatal(err)
	}

	attrs := state["resources"].([]any)[0].(map[string]any)["instances"].([]any)[0].(map[string]any)["attributes"].(map[string]any)
	configs := attrs["machine_configurations"].(map[string]any)
	before := configs["worker-1"].(string)

	after := edit(before)
	if after == before {
		t.Fatal("the edit changed nothing")
	}

	configs["worker-1"] = after
	state["serial"] = state["serial"].(float64) + 1

	out, err := json.MarshalIndent(state, "", "  ")
	if err != nil {
		t.Fatal(err)
	}

	if err := os.WriteFile(file, out, 0o600); err != nil {
		t.Fatal(err)
	}
}
