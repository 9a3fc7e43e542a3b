package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/internal/goldenfile"
)

// golden compares got with the golden file testdata/name (go test -update rewrites it).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got)
}

func TestIdentity(t *testing.T) {
	t.Parallel()

	var out, errOut bytes.Buffer
	code := run([]string{"identity", "-cluster-id", "8XuV9TZHW08DOk3bVxQjH9ih_TBKjnh-j44tsCLSBzo=", "-mac", "2e:1a:b6:53:81:69"}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	require.Equal(t, "subnet:  fd7f:175a:b97c:5602::/64\naddress: fd7f:175a:b97c:5602:2c1a:b6ff:fe53:8169/128\n", out.String())

	out.Reset()
	code = run([]string{"identity", "-cluster-id", "x", "-mac", "00:1a:2b:3c:4d:5e", "-private-key", "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo="}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	require.Contains(t, out.String(), "publicKey: hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=\n")
}

func TestErrors(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{nil, 2, "usage"},
		{[]string{"nope"}, 2, "unknown command"},
		{[]string{"identity", "-mac", "00:00:00:00:00:01"}, 2, "needs -cluster-id and -mac"},
		{[]string{"identity", "-cluster-id", "x", "-mac", "zz"}, 1, "-mac"},
		{[]string{"simulate", "-unreachable", "2"}, 1, "unreachable fraction"},
		{[]string{"simulate", "-nodes", "0"}, 1, "nodes"},
	} {
		var out, errOut bytes.Buffer
		require.Equal(t, tc.code, run(tc.args, &out, &errOut), "args %v", tc.args)
		require.Contains(t, errOut.String(), tc.msg)
	}
}

func TestSimulate(t *testing.T) {
	t.Parallel()

	var out, errOut bytes.Buffer
	code := run([]string{"simulate", "-nodes", "4", "-unreachable", "0.4", "-seed", "3"}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	golden(t, "simulate-4-0.4-3.txt", out.Bytes())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.True(t, strings.HasPrefix(lines[0], "NODE"))
	require.Len(t, lines, 1+4*3+2)
	require.Contains(t, lines[len(lines)-1], "converged after")

	// deterministic
	var again bytes.Buffer
	require.Equal(t, 0, run([]string{"simulate", "-nodes", "4", "-unreachable", "0.4", "-seed", "3"}, &again, &errOut))
	require.Equal(t, out.String(), again.String())
}

func TestExplain(t *testing.T) {
	t.Parallel()

	var out, errOut bytes.Buffer
	code := run([]string{"explain", "-f", filepath.Join("testdata", "kubespanpeerstatuses.yaml"), "-now", "2026-01-01T10:12:30Z"}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	golden(t, "explain.txt", out.Bytes())
	require.Contains(t, out.String(), "talos-default-worker-2 (Ye3tE8xNmOD9ZBLFEr4XfVL0ZqQRAlzgG8SSeW1b0Fk=): down: no handshake")

	require.Equal(t, 1, run([]string{"explain", "-f", "testdata/missing.yaml"}, &out, &errOut))
	require.Equal(t, 1, run([]string{"explain", "-f", filepath.Join("testdata", "kubespanpeerstatuses.yaml"), "-now", "yesterday"}, &out, &errOut))
}
