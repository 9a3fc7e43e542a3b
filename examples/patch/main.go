// Command patch prints a Talos machine config with patches applied, like
// talosctl machineconfig patch, but RFC 6902 patches also work on
// multi-document configs (Talos v1.12 and later).
//
//	go run ./examples/patch [-p PATCH]... CONFIG
//
// Each -p is patch text (strategic merge YAML, an RFC 6902 JSON array or a
// YAML list of operations) or @file. Patches apply in order. On error the
// command prints the error to stderr, nothing to stdout, and exits 1.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/talospatch/talospatch/patches"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// patchFlags collects repeated -p values.
type patchFlags []string

func (p *patchFlags) String() string { return strings.Join(*p, " ") }

func (p *patchFlags) Set(v string) error {
	*p = append(*p, v)

	return nil
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("patch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: patch [-p PATCH]... CONFIG")
		fmt.Fprintln(stderr, "  -p PATCH  patch text or @file, repeatable, applied in order")
	}

	var texts patchFlags

	fs.Var(&texts, "p", "patch text or @file (repeatable)")

	if err := fs.Parse(args); err != nil {
		return 2
	}

	if fs.NArg() != 1 {
		fs.Usage()

		return 2
	}

	out, err := patchFile(fs.Arg(0), texts)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)

		return 1
	}

	if _, err := io.Copy(stdout, bytes.NewReader(out)); err != nil {
		fmt.Fprintln(stderr, "error:", err)

		return 1
	}

	return 0
}

func patchFile(path string, texts []string) ([]byte, error) {
	ps := make([]patches.Patch, 0, len(texts))

	for i, text := range texts {
		p, err := patches.Load(text)
		if err != nil {
			return nil, fmt.Errorf("patch %d: %w", i, err)
		}

		ps = append(ps, p)
	}

	cfg, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}

	return patches.Apply(cfg, ps...)
}
