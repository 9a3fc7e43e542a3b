package patches_test

import (
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/encoder"
	"github.com/siderolabs/talos/pkg/machinery/config/generate"
	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"
	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

// testdataDir is testdata/ at the repository root.
func testdataDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata")
}

var secretsOnce = sync.OnceValues(func() (*secrets.Bundle, error) {
	b, err := secrets.LoadBundle(filepath.Join(testdataDir(), "bench", "secrets.yaml"))
	if err != nil {
		return nil, err
	}

	b.Clock = secrets.NewFixedClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))

	return b, nil
})

func testSecrets(t testing.TB) *secrets.Bundle {
	t.Helper()

	b, err := secretsOnce()
	require.NoError(t, err)

	return b
}

// testAESCBCSecret is the etcd encryption secret of configs for contracts before v1.3, which
// use AES-CBC where newer ones use secretbox (the shared bundle has only the secretbox secret).
const testAESCBCSecret = "dGFsb3NwYXRjaC10ZXN0LWFlc2NiYy1zZWNyZXQtMzI="

// secretsFor returns the shared secrets, with an AES-CBC secret added for contracts that
// encrypt etcd with it, as a bundle talosctl of that release generates: machinery v1.14
// validation refuses control-plane configs without an etcd encryption secret.
func secretsFor(t testing.TB, mc *config.VersionContract) *secrets.Bundle {
	t.Helper()

	b := testSecrets(t)
	if mc.SecretboxEncryptionSupported() || b.Secrets.AESCBCEncryptionSecret != "" {
		return b
	}

	withAESCBC := *b
	s := *b.Secrets
	s.AESCBCEncryptionSecret = testAESCBCSecret
	withAESCBC.Secrets = &s

	return &withAESCBC
}

// machineryContract parses a contract for machinery's generate.WithVersionContract.
func machineryContract(t testing.TB, v string) *config.VersionContract {
	t.Helper()

	c, err := config.ParseContractFromVersion(v)
	require.NoError(t, err)

	return c
}

// mustContract parses a contract for the recipes.
func mustContract(t testing.TB, v string) talos.Contract {
	t.Helper()

	c, err := talos.ParseContract(v)
	require.NoError(t, err)

	return c
}

// must returns the patch of a recipe that cannot fail on its arguments; it panics on error
// (usable in benchmarks, fuzz seeds and package-level values).
func must(p patches.Patch, err error) patches.Patch {
	if err != nil {
		panic(err)
	}

	return p
}

// genInput returns the generate input for a contract, with the shared secrets.
func genInput(t testing.TB, contract string, opts ...generate.Option) *generate.Input {
	t.Helper()

	mc := machineryContract(t, contract)

	opts = append([]generate.Option{
		generate.WithVersionContract(mc),
		generate.WithSecretsBundle(secretsFor(t, mc)),
	}, opts...)

	in, err := generate.NewInput("test", "https://10.0.0.1:6443", "1.36.0", opts...)
	require.NoError(t, err)

	return in
}

// genConfig generates a machine config provider for a contract and type.
func genConfig(t testing.TB, contract string, typ machine.Type, opts ...generate.Option) config.Provider {
	t.Helper()

	cfg, err := genInput(t, contract, opts...).Config(typ)
	require.NoError(t, err)

	return cfg
}

func encode(t testing.TB, cfg config.Provider) []byte {
	t.Helper()

	b, err := cfg.EncodeBytes(encoder.WithComments(encoder.CommentsDisabled))
	require.NoError(t, err)

	return b
}

// genBytes generates an encoded config.
func genBytes(t testing.TB, contract string, typ machine.Type, opts ...generate.Option) []byte {
	t.Helper()

	return encode(t, genConfig(t, contract, typ, opts...))
}
