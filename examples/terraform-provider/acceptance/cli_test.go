// Package acceptance runs the provider under the real terraform (or OpenTofu) CLI: the provider
// is built with go build into a temporary directory and found through a CLI configuration file
// with dev_overrides (TF_CLI_CONFIG_FILE), so no registry and no init are involved.
package acceptance

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// providerSource is the provider's address in the configurations.
const providerSource = "talospatch/talospatch"

var (
	setupOnce sync.Once
	setupErr  error
	cli       string // the terraform or tofu binary
	cliConfig string // the CLI configuration file with dev_overrides
	repoRoot  string // the library's module root
)

// setup builds the provider and writes the CLI configuration, once per test binary.
func setup(t *testing.T) {
	t.Helper()

	setupOnce.Do(func() {
		cli = os.Getenv("TALOSPATCH_TF_CLI")
		for _, name := range []string{"terraform", "tofu"} {
			if cli != "" {
				break
			}

			cli, _ = exec.LookPath(name)
		}

		if cli == "" {
			return
		}

		root, err := filepath.Abs("../../..")
		if err != nil {
			setupErr = err

			return
		}

		repoRoot = root

		// One directory for the binary and the CLI config; it outlives the tests of this
		// binary and is small.
		dir, err := os.MkdirTemp("", "talospatch-provider-")
		if err != nil {
			setupErr = err

			return
		}

		build := exec.Command("go", "build", "-o", filepath.Join(dir, "terraform-provider-talospatch"), "..")
		if out, err := build.CombinedOutput(); err != nil {
			setupErr = fmt.Errorf("go build of the provider: %w\n%s", err, out)

			return
		}

		cliConfig = filepath.Join(dir, "cli.tfrc")
		conf := fmt.Sprintf(`provider_installation {
  dev_overrides {
    "registry.terraform.io/%[1]s" = %[2]q
    "registry.opentofu.org/%[1]s" = %[2]q
  }
  direct {}
}
`, providerSource, dir)
		setupErr = os.WriteFile(cliConfig, []byte(conf), 0o600)
	})

	if cli == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("neither terraform nor tofu is on PATH; .ci/run builds OpenTofu into .cache/bin")
		}

		t.Skip("neither terraform nor tofu is on PATH (or TALOSPATCH_TF_CLI): install terraform v1.11.4, or run .ci/run, which builds OpenTofu v1.11.0")
	}

	if setupErr != nil {
		t.Fatal(setupErr)
	}
}

// workdir is one Terraform working directory.
type workdir struct {
	t   *testing.T
	dir string
	env []string
}

func newWorkdir(t *testing.T, mainTF string) *workdir {
	t.Helper()
	setup(t)

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(mainTF), 0o600); err != nil {
		t.Fatal(err)
	}

	env := append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+cliConfig,
		"TF_IN_AUTOMATION=1",
		"CHECKPOINT_DISABLE=1",
		"TF_PLUGIN_CACHE_DIR=",
		"TF_DATA_DIR="+filepath.Join(dir, ".terraform"),
	)

	return &workdir{t: t, dir: dir, env: env}
}

// result is one CLI run.
type result struct {
	args           []string
	code           int
	stdout, stderr string
	wall           time.Duration
	cpu            time.Duration // the CLI and every process it waited for (the provider)
}

// run runs the CLI with args and returns what it did; it fails the test only when the CLI
// could not run.
func (w *workdir) run(args ...string) result {
	w.t.Helper()

	if len(args) > 0 && args[0] != "output" {
		args = append([]string{args[0], "-no-color"}, args[1:]...)
	}

	cmd := exec.Command(cli, args...)
	cmd.Dir = w.dir
	cmd.Env = w.env

	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr

	start := time.Now()
	err := cmd.Run()
	res := result{args: args, stdout: stdout.String(), stderr: stderr.String(), wall: time.Since(start)}

	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		w.t.Fatalf("%s %s: %v", cli, strings.Join(args, " "), err)
	}

	res.code = cmd.ProcessState.ExitCode()

	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		res.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}

	return res
}

// must runs the CLI and fails the test unless it exits with want.
func (w *workdir) must(want int, args ...string) result {
	w.t.Helper()

	res := w.run(args...)
	if res.code != want {
		w.t.Fatalf("%s %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", filepath.Base(cli), strings.Join(args, " "), res.code, want, res.stdout, res.stderr)
	}

	w.t.Logf("%s %s: exit %d in %s (cpu %s)", filepath.Base(cli), strings.Join(args, " "), res.code, res.wall.Round(time.Millisecond), res.cpu.Round(time.Millisecond))

	return res
}

// outputs returns the root module's outputs.
func (w *workdir) outputs() map[string]any {
	w.t.Helper()

	res := w.must(0, "output", "-json")

	var raw map[string]struct {
		Value any `json:"value"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &raw); err != nil {
		w.t.Fatalf("output -json: %v\n%s", err, res.stdout)
	}

	out := make(map[string]any, len(raw))
	for k, v := range raw {
		out[k] = v.Value
	}

	return out
}

// diagnostic is one diagnostic of the CLI's -json output.
type diagnostic struct {
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail"`
	Address  string `json:"address"`
	Range    *struct {
		Filename string `json:"filename"`
		Start    struct {
			Line int `json:"line"`
		} `json:"start"`
	} `json:"range"`
	Snippet *struct {
		Code string `json:"code"`
	} `json:"snippet"`
}

// errors returns the error diagnostics of a -json run.
func (r result) errors(t *testing.T) []diagnostic {
	t.Helper()

	var out []diagnostic

	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	sc.Buffer(make([]byte, 1<<20), 16<<20)

	for sc.Scan() {
		var line struct {
			Type       string     `json:"type"`
			Diagnostic diagnostic `json:"diagnostic"`
		}

		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Type == "diagnostic" && line.Diagnostic.Severity == "error" {
			out = append(out, line.Diagnostic)
		}
	}

	return out
}
