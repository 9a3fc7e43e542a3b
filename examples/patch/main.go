// Command patch prints a Talos machine config with patches applied, like
// talosctl machineconfig patch, but RFC 6902 patches also work on
// multi-document configs (Talos v1.12 and later).
//
//	go run ./examples/patch [-p PATCH]... [-no-translate] CONFIG
//
// Each -p is patch text (strategic merge YAML, an RFC 6902 JSON array or a
// YAML list of operations) or @file. Patches apply in order. On a Talos v1.14
// config, v1alpha1 settings that v1.14 moved into documents (the guide's CNI,
// kube-proxy, discovery, KubePrism, KubeSpan, node label patches, ...) are
// translated into those documents, and each translation is printed to stderr as
// a warning; -no-translate applies them as written. On error the command prints
// the error to stderr, nothing to stdout, and exits 1.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/internal/examplefiles"
	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
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
		fmt.Fprintln(stderr, "usage: patch [-p PATCH]... [-no-translate] CONFIG")
		fs.PrintDefaults()
	}

	var (
		texts       patchFlags
		noTranslate bool
	)

	fs.Var(&texts, "p", "`patch` text or @file, repeatable, applied in order (default: none; the config is printed as it is)")
	fs.BoolVar(&noTranslate, "no-translate", false, "apply v1alpha1 settings as written on v1.14 configs, where they then conflict with the v1.14 documents (default: translate them into the documents)")

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0 // -h: the usage is printed
		}

		return 2
	}

	if fs.NArg() != 1 {
		fs.Usage()

		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	out, warnings, err := patchFile(ctx, fs.Arg(0), texts, patches.Options{NoTranslation: noTranslate})
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)

		return 1
	}

	for _, w := range warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}

	if _, err := io.Copy(stdout, bytes.NewReader(out)); err != nil {
		fmt.Fprintln(stderr, "error:", err)

		return 1
	}

	return 0
}

func patchFile(ctx context.Context, path string, texts []string, opts patches.Options) ([]byte, []talos.Warning, error) {
	ps := make([]patches.Patch, 0, len(texts))

	for i, text := range texts {
		p, err := patches.LoadContext(ctx, text)
		if err != nil {
			return nil, nil, fmt.Errorf("patch %d: %w", i, err)
		}

		ps = append(ps, p)
	}

	data, err := examplefiles.ReadInput(ctx, path, os.Stdin, examplefiles.MaxConfigInput)
	if err != nil {
		return nil, nil, err
	}

	cfg, err := config.Load(data)
	if err != nil {
		return nil, nil, err
	}

	out, warnings, err := patches.ApplyWithOptions(cfg, opts, ps...)
	if err != nil {
		return nil, nil, err
	}

	encoded, err := config.Encode(out)
	if err != nil {
		return nil, nil, err
	}

	return encoded, warnings, nil
}
