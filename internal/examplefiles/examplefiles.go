// Package examplefiles holds the file handling the example programs share: the secrets bundle
// they load or create, and the files they write.
package examplefiles

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/talos"
)

// SecretsFile is the name a newly created secrets bundle is written under, in the output folder.
const SecretsFile = "secrets.yaml"

// LoadOrCreateSecrets reads the bundle at secretsPath, or, when secretsPath is empty, creates a
// new one for contract (created is its YAML, for the caller to write with WriteFile(...,
// exclusive)). It refuses to create a bundle when outDir already holds one: replacing it would
// lock users out of a cluster built with it.
func LoadOrCreateSecrets(secretsPath, outDir string, contract talos.Contract) (s *config.Secrets, created []byte, err error) {
	if secretsPath != "" {
		data, err := os.ReadFile(secretsPath)
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

// WriteFile writes data to path with perm. With exclusive it fails when path exists (a new
// secrets bundle never replaces an old one); otherwise it replaces the file.
func WriteFile(path string, data []byte, perm fs.FileMode, exclusive bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if exclusive {
		flags = os.O_WRONLY | os.O_CREATE | os.O_EXCL
	}

	f, err := os.OpenFile(path, flags, perm)
	if err != nil {
		return err
	}

	if _, err := f.Write(data); err != nil {
		_ = f.Close()

		return err
	}

	return f.Close()
}
