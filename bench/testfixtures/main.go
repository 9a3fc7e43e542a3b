// Command testfixtures writes the secrets bundle the tests use, testdata/bench/secrets.yaml,
// with the project's own code: config.NewSecrets for contract v1.14, its certificate
// authorities valid from 2026-01-01. The bundle is random; it was made once and committed, and
// the goldens are made from it. It secures no real cluster.
//
//	go run ./bench/testfixtures -out testdata/bench/secrets.yaml
//
// It refuses to replace an existing file (every golden would change): remove it first.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/talos"
)

func main() {
	out := flag.String("out", "testdata/bench/secrets.yaml", "`file` to write")
	flag.Parse()

	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "testfixtures:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	s, err := config.NewSecrets(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), talos.V1_14)
	if err != nil {
		return err
	}

	data, err := s.Marshal()
	if err != nil {
		return err
	}

	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s exists: every golden is made from it; remove it first if you really mean to replace it", out)
		}

		return err
	}

	if _, err := f.Write(data); err != nil {
		_ = f.Close()

		return err
	}

	return f.Close()
}
