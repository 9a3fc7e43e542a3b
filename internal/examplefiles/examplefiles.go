// Package examplefiles holds the file handling the example programs share: the secrets bundle
// they load or create, and the files they write.
package examplefiles

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/internal/ctxread"
	"github.com/talospatch/talospatch/talos"
)

// SecretsFile is the name a newly created secrets bundle is written under, in the output folder.
const SecretsFile = "secrets.yaml"

// ContractUsage returns the usage of -contract, naming the supported contracts.
func ContractUsage() string {
	return "Talos version `contract` the nodes run, " + talos.Oldest.String() + " to " + talos.Newest.String()
}

// The usage texts of the flags that several examples share, so that a flag means the same in
// every example. Flags that must be given say "(required)"; a flag whose empty value stands for
// something says "(default: ...)"; the flag package adds "(default X)" to the others.
const (
	// SecretsUsage is the usage of -secrets (LoadOrCreateSecrets, WriteNewSecrets).
	SecretsUsage = "secrets bundle `file` in talosctl gen secrets format (default: a new bundle, written to OUT/" + SecretsFile + ", never replacing an existing one)"
	// KubernetesUsage is the usage of -kubernetes.
	KubernetesUsage = "Kubernetes `version` of the cluster: the configs' and the one Cilium is rendered for"
	// ChartVersionUsage is the usage of -chart-version.
	ChartVersionUsage = "chart `version`: an exact version or a semver constraint for an https:// repository, the tag for an oci:// reference, the expected version of a local chart (default: a repository's latest stable version)"
	// DeterministicUsage is the usage of -deterministic.
	DeterministicUsage = "make Hubble's certificates in the cluster (hubble.tls.auto.method=cronJob) instead of during the render, so the render has no Secrets and is byte-identical on every run"
	// KubeProxyUsage is the usage of -kube-proxy.
	KubeProxyUsage = "keep kube-proxy (default: kube-proxy disabled, Cilium replaces it and reaches the API server through KubePrism)"
)

// Input limits: how much ReadInput reads of the files the examples are given.
const (
	MaxSecretsInput  = 1 << 20  // a secrets bundle is a few kilobytes
	MaxConfigInput   = 16 << 20 // a machine config, with inline manifests (patches.MaxPatchFileSize)
	MaxManifestInput = 64 << 20 // manifests, a previous render, peer statuses
)

// ReadInput reads the file a user named for an example ("-" is the standard input, stdin)
// within limit bytes (beyond, an error wrapping ctxread.ErrTooLarge and no data), and gives up on a pipe that no writer opens when ctx ends (internal/ctxread):
// a flag pointing at /dev/zero or at a forgotten named pipe ends with an error instead of
// exhausting memory or hanging.
func ReadInput(ctx context.Context, name string, stdin io.Reader, limit int64) ([]byte, error) {
	if name == "-" {
		data, err := io.ReadAll(io.LimitReader(stdin, limit+1))
		if err != nil {
			return nil, fmt.Errorf("the standard input: %w", err)
		}

		if int64(len(data)) > limit {
			return nil, fmt.Errorf("%w: the standard input is longer than %d bytes", ctxread.ErrTooLarge, limit)
		}

		return data, nil
	}

	data, err := ctxread.File(ctx, name, limit)

	var pathErr *fs.PathError
	if err != nil && !errors.As(err, &pathErr) { // a *PathError names the file already
		err = fmt.Errorf("%s: %w", name, err)
	}

	return data, err
}

// LoadOrCreateSecrets reads the bundle at secretsPath, or, when secretsPath is empty, creates a
// new one for contract (created is its YAML, for the caller to write with WriteFile(...,
// exclusive)). It refuses to create a bundle when outDir already holds one: replacing it would
// lock users out of a cluster built with it.
func LoadOrCreateSecrets(ctx context.Context, secretsPath, outDir string, contract talos.Contract) (s *config.Secrets, created []byte, err error) {
	if secretsPath != "" {
		data, err := ReadInput(ctx, secretsPath, os.Stdin, MaxSecretsInput)
		if err != nil {
			return nil, nil, err
		}

		s, err := config.LoadSecrets(data)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", secretsPath, err)
		}

		return s, nil, nil
	}

	target := filepath.Join(outDir, SecretsFile)
	if _, err := os.Stat(target); err == nil {
		return nil, nil, fmt.Errorf("%s already exists: pass -secrets %s to reuse it (a new bundle would lock you out of a cluster built with it)", target, target)
	}

	s, err = config.NewSecrets(time.Now(), contract)
	if err != nil {
		return nil, nil, err
	}

	created, err = s.Marshal()
	if err != nil {
		return nil, nil, err
	}

	return s, created, nil
}

// WriteNewSecrets writes created, the bundle LoadOrCreateSecrets created, to
// outDir/secrets.yaml without replacing an existing file, and tells stdout where it is.
func WriteNewSecrets(outDir string, created []byte, stdout io.Writer) error {
	p := filepath.Join(outDir, SecretsFile)
	if err := WriteFile(p, created, 0o600, true); err != nil {
		return fmt.Errorf("write new secrets bundle: %w (pass -secrets to reuse an existing bundle)", err)
	}

	fmt.Fprintf(stdout, "created a new secrets bundle: %s (keep it safe; reuse it with -secrets %s)\n", p, p)

	return nil
}

// File is one output file of an example: its name in the output folder, bytes and mode.
type File struct {
	Name string
	Data []byte
	Perm fs.FileMode
}

// WriteAll creates outDir, writes created (a new secrets bundle, if not nil) with
// WriteNewSecrets, then every file with WriteFile, and tells stdout each path it wrote.
func WriteAll(outDir string, created []byte, files []File, stdout io.Writer) error {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}

	if created != nil {
		if err := WriteNewSecrets(outDir, created, stdout); err != nil {
			return err
		}
	}

	for _, f := range files {
		p := filepath.Join(outDir, f.Name)
		if err := WriteFile(p, f.Data, f.Perm, false); err != nil {
			return err
		}

		fmt.Fprintf(stdout, "wrote %s\n", p)
	}

	return nil
}

// WriteFile writes data to path with exactly perm (not the umask's or an old file's mode).
//
// With exclusive it fails when anything exists at path, a symlink included (a new secrets
// bundle never replaces an old one). Otherwise a new path is created in place, and an existing
// one is replaced atomically: data goes to a new file in the same folder, which is renamed
// over path, so a reader sees the old bytes or the new ones, never a part, and a symlink at path
// is replaced, not followed (writing through a symlink planted at an output path would put key
// material wherever it points). The new file is not synced to disk: the examples write output a
// user can make again.
func WriteFile(path string, data []byte, perm fs.FileMode, exclusive bool) error {
	if exclusive {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}

		if err := finish(f, path, data, perm); err != nil {
			_ = os.Remove(path) // made here a moment ago; leave nothing half-written

			return err
		}

		return nil
	}

	// Nothing at path (the common case, a new output folder): create it in place. O_EXCL
	// neither follows a symlink nor opens an existing file, and a new file replaces nothing.
	if f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		if err := finish(f, path, data, perm); err != nil {
			_ = os.Remove(path)

			return err
		}

		return nil
	} else if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("write %s: %w", path, err)
	}

	if info, err := os.Lstat(path); err == nil && info.IsDir() {
		return fmt.Errorf("write %s: it is a folder; choose another output path", path)
	}

	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}

	if err := finish(f, path, data, perm); err != nil {
		_ = os.Remove(f.Name())

		return err
	}

	if err := os.Rename(f.Name(), path); err != nil {
		_ = os.Remove(f.Name())

		return fmt.Errorf("write %s: %w", path, err)
	}

	return nil
}

// finish gives the open file f exactly perm, writes data and closes it; the file starts 0600
// so no other user can open it before its mode is set.
func finish(f *os.File, path string, data []byte, perm fs.FileMode) error {
	err := f.Chmod(perm)
	if err == nil {
		_, err = f.Write(data)
	}

	if cerr := f.Close(); err == nil {
		err = cerr
	}

	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}

	return nil
}
